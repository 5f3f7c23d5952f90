"""The tables' PDF preview: what is compiled, failure handling, a real compile and render."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from zsiw.cli import main
from zsiw.report.pdf import compile_tables, render_pages
from zsiw.report.tables import wrap_document

TABLE = r"""\begin{table}[htbp]
\centering
\begin{tabular}{lc}
\toprule
Method & %s \\
\midrule
ours & $0.5 \pm 0.1$ \\
\bottomrule
\end{tabular}
\caption{%s}
\end{table}
"""


def _tables(tmp_path: Path, texts: list[str]) -> list[Path]:
    paths = []
    for i, text in enumerate(texts, 1):
        path = tmp_path / f"table{i}.tex"
        path.write_text(TABLE % (text, f"Table number {i}"), encoding="utf-8")
        paths.append(path)
    return paths


def _fake_engine(bin_dir: Path, name: str, script: str) -> None:
    """An executable ``name`` on a private PATH that runs ``script`` (sh) in the work dir."""
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / name
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)


def test_no_pdflatex_names_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(
        RuntimeError, match="pdflatex not found.*apt-get install texlive-latex-base"
    ):
        compile_tables(_tables(tmp_path, ["es"]), tmp_path / "tables.pdf")
    with pytest.raises(FileNotFoundError, match="table9.tex"):
        compile_tables([tmp_path / "table9.tex"], tmp_path / "x.pdf")


def test_a_failing_pdflatex_leaves_no_pdf_and_names_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = "printf '%s\\n' 'x' '! Undefined control sequence.' 'l.7 \\foo' > tables.log\nexit 1\n"
    _fake_engine(tmp_path / "bin", "pdflatex", log)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    out = tmp_path / "out" / "tables.pdf"
    with pytest.raises(RuntimeError, match=r"\(exit 1\).*: ! Undefined control sequence\. l\.7"):
        compile_tables(_tables(tmp_path, ["es"]), out)
    assert not out.exists() and not out.with_name("tables.pdf.tmp").exists()


def test_compiles_wrap_documents_tables_in_the_given_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This pdflatex "compiles" by copying its input, so the test sees the document it got.
    _fake_engine(tmp_path / "bin", "pdflatex", '/bin/cp "$3" tables.pdf\n')
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    paths = _tables(tmp_path, ["es", "nl"])
    out = compile_tables([paths[1], paths[0]], tmp_path / "tables.pdf")
    texts = [p.read_text(encoding="utf-8") for p in (paths[1], paths[0])]
    assert out.read_text(encoding="utf-8") == wrap_document(*texts)


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdflatex", "pdftoppm", "pdfinfo", "pdftotext")),
    reason="needs pdflatex and poppler-utils",
)
def test_real_compile_one_page_per_table_and_a_png(tmp_path: Path) -> None:
    paths = _tables(tmp_path, ["es", "nl", "Déjà vu, Москва"])  # Cyrillic prints as ?
    pdf, png = tmp_path / "t" / "tables.pdf", tmp_path / "t" / "tables.png"
    assert main(["tables-pdf", *map(str, paths), "--pdf", str(pdf), "--png", str(png)]) == 0
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "Pages:           3" in info.stdout
    text = subprocess.run(
        ["pdftotext", "-f", "3", "-l", "3", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    assert "Table number 3" in text and "Déjà vu" in text  # the third table on the third page
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pages = render_pages(pdf, tmp_path / "p.png", pages=(1, 3), dpi=30)
    assert [p.name for p in pages] == ["p-1.png", "p-3.png"]
    assert all(p.stat().st_size > 0 for p in pages)
