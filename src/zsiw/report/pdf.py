"""Compile the generated LaTeX tables into one PDF and render pages of it to PNG.

Why: the ``.tex`` files are what a paper includes, but a reader of the repository should see
the tables without a TeX installation (issue 16). The document is ``wrap_document``'s (the
one the compile tests use: pdfLaTeX, one table per page, ``?`` for a character pdfLaTeX has
no font for, such as Japanese in a case-study table). pdfLaTeX runs in a temporary directory
and the PDF is moved into place only when it succeeded, so a failed run never leaves a PDF
that looks complete.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from zsiw.report.tables import wrap_document

__all__ = ["compile_tables", "render_pages"]

_INSTALL_HINT = (
    "install LaTeX with booktabs (Debian/Ubuntu: apt-get install texlive-latex-base "
    "texlive-latex-recommended texlive-fonts-recommended)"
)


def compile_tables(tables: Sequence[Path], out_pdf: Path) -> Path:
    """Compile ``tables`` (in order, one per page) with pdfLaTeX into ``out_pdf``."""
    tables = [Path(t) for t in tables]
    if not tables:
        raise ValueError("no table files to compile")
    missing = [str(t) for t in tables if not t.is_file()]
    if missing:
        raise FileNotFoundError(f"table file(s) not found: {', '.join(missing)}")
    if shutil.which("pdflatex") is None:
        raise RuntimeError(f"pdflatex not found on PATH: {_INSTALL_HINT}")
    document = wrap_document(*(t.read_text(encoding="utf-8") for t in tables))
    with tempfile.TemporaryDirectory(prefix="zsiw-tables-") as tmp:
        workdir = Path(tmp)
        (workdir / "tables.tex").write_text(document, encoding="utf-8")
        done = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "tables.tex"],
            cwd=workdir,
            capture_output=True,
            text=True,
            errors="replace",
        )
        pdf = workdir / "tables.pdf"
        if done.returncode != 0 or not pdf.is_file():
            log_file = workdir / "tables.log"
            log = log_file.read_text(errors="replace") if log_file.is_file() else done.stdout
            lines = log.splitlines()
            first = next((i for i, line in enumerate(lines) if line.startswith("!")), None)
            where = " ".join(lines[first : first + 3]) if first is not None else "no error line"
            raise RuntimeError(
                f"pdflatex failed (exit {done.returncode}) on {', '.join(map(str, tables))}: "
                f"{where}"
            )
        out_pdf = Path(out_pdf)
        out_pdf.parent.mkdir(parents=True, exist_ok=True)
        partial = out_pdf.with_name(out_pdf.name + ".tmp")
        shutil.copyfile(pdf, partial)
        partial.replace(out_pdf)
    return out_pdf


def render_pages(pdf: Path, png: Path, pages: Sequence[int] = (1,), dpi: int = 110) -> list[Path]:
    """Render ``pages`` (1-based) of ``pdf`` to PNG with poppler's ``pdftoppm``.

    One page is written to ``png`` itself; several to ``<stem>-<page>.png`` beside it.
    """
    if shutil.which("pdftoppm") is None:
        raise RuntimeError(
            "pdftoppm not found on PATH: install poppler (Debian/Ubuntu: apt-get install "
            "poppler-utils) to render the tables' PDF to PNG"
        )
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for page in pages:
        target = png if len(pages) == 1 else png.with_name(f"{png.stem}-{page}{png.suffix}")
        stem = target.with_name(target.stem + ".tmp")
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile"]
            + [str(pdf), str(stem)],
            check=True,
            capture_output=True,
        )
        stem.with_name(stem.name + ".png").replace(target)
        written.append(target)
    return written
