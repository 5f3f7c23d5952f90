"""The tables' PDF preview: document assembly, engine choice, failure handling, a real compile."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from zsiw.cli import main
from zsiw.report.pdf import compile_tables, find_engines, render_pages, tables_document

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


def test_document_inputs_every_table_in_order_one_per_page(tmp_path: Path) -> None:
    paths = _tables(tmp_path, ["es", "nl", "ru"])
    doc = tables_document([paths[2], paths[0], paths[1]], "lualatex")
    inputs = [line for line in doc.splitlines() if line.startswith("\\input{")]
    assert inputs == [
        f"\\input{{{p.resolve().as_posix()}}}" for p in (paths[2], paths[0], paths[1])
    ]
    assert doc.count("\\clearpage") == 2  # between tables, not after the last
    assert "\\usepackage{booktabs}" in doc  # every table uses \toprule
    assert "fontspec" in doc and "inputenc" not in doc
    latin = tables_document(paths, "pdflatex")
    assert "\\usepackage[utf8]{inputenc}" in latin and "fontspec" not in latin
    with pytest.raises(ValueError, match="unknown LaTeX engine 'context'"):
        tables_document(paths, "context")


def test_engine_choice_and_the_message_when_none_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(RuntimeError, match="apt-get install texlive-luatex"):
        find_engines()
    _fake_engine(tmp_path / "bin", "pdflatex", "exit 0\n")
    _fake_engine(tmp_path / "bin", "lualatex", "exit 0\n")
    assert find_engines() == ["lualatex", "pdflatex"]  # preference order, installed only
    assert find_engines("pdflatex") == ["pdflatex"]
    with pytest.raises(RuntimeError, match=r"\(xelatex\)"):
        find_engines("xelatex")


def test_a_failing_engine_leaves_no_pdf_and_names_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    _fake_engine(
        bin_dir,
        "lualatex",
        "printf '%s\\n' 'x' '! Undefined control sequence.' 'l.7 \\foo' > tables.log\nexit 1\n",
    )
    monkeypatch.setenv("PATH", str(bin_dir))
    out = tmp_path / "out" / "tables.pdf"
    with pytest.raises(
        RuntimeError, match=r"lualatex \(exit 1\): ! Undefined control sequence\. l\.7"
    ):
        compile_tables(_tables(tmp_path, ["es"]), out)
    assert not out.exists() and not out.with_name("tables.pdf.tmp").exists()


def test_falls_back_to_the_next_engine_that_compiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    _fake_engine(bin_dir, "lualatex", "echo '! Font not loadable' > tables.log\nexit 1\n")
    # The second engine "compiles": it copies its input, so the test sees which document it got.
    _fake_engine(bin_dir, "pdflatex", '/bin/cp "$3" tables.pdf\n')
    monkeypatch.setenv("PATH", str(bin_dir))
    paths = _tables(tmp_path, ["es", "nl"])
    out = compile_tables(paths, tmp_path / "tables.pdf")
    assert out.read_text(encoding="utf-8") == tables_document(paths, "pdflatex")
    with pytest.raises(FileNotFoundError, match="table9.tex"):
        compile_tables([tmp_path / "table9.tex"], tmp_path / "x.pdf")


def _real_engine() -> str | None:
    return next((e for e in ("lualatex", "xelatex", "pdflatex") if shutil.which(e)), None)


@pytest.mark.skipif(
    _real_engine() is None or shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None,
    reason="needs a LaTeX engine and poppler (pdftoppm, pdfinfo)",
)
def test_real_compile_one_page_per_table_and_a_png(tmp_path: Path) -> None:
    paths = _tables(tmp_path, ["es", "nl", "Déjà vu"])
    pdf, png = tmp_path / "t" / "tables.pdf", tmp_path / "t" / "tables.png"
    env_before = dict(os.environ)
    assert main(["tables-pdf", *map(str, paths), "--pdf", str(pdf), "--png", str(png)]) == 0
    assert dict(os.environ) == env_before
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "Pages:           3" in info.stdout
    text = subprocess.run(
        ["pdftotext", "-f", "3", "-l", "3", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    if text:  # pdftotext ships with pdftoppm in poppler-utils
        assert "Table number 3" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pages = render_pages(pdf, tmp_path / "p.png", pages=(1, 3), dpi=30)
    assert [p.name for p in pages] == ["p-1.png", "p-3.png"]
    assert all(p.stat().st_size > 0 for p in pages)
