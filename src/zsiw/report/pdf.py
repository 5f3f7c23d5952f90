"""Compile the generated LaTeX tables into one PDF and render pages of it to PNG.

Why: the ``.tex`` files are what a paper includes, but a reader of the repository should see
the tables without a TeX installation (issue 16). This module only previews them: it wraps the
table files in a minimal document (one table per page, in the given order), runs a LaTeX
engine in a temporary directory and moves the PDF into place only when the engine succeeded,
so a failed run never leaves a PDF that looks complete.

Engines: LuaLaTeX or XeLaTeX are preferred because the case-study table (Table 5) holds
target-language text (Cyrillic, accented Latin, Japanese); with them the document uses DejaVu
Serif when installed, which covers Latin and Cyrillic. Glyphs the font lacks (Japanese) are
dropped with a warning in the engine's log, not an error. pdfLaTeX works for tables whose text
is Latin only.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ENGINES", "compile_tables", "find_engines", "render_pages", "tables_document"]

ENGINES = ("lualatex", "xelatex", "pdflatex")
_INSTALL_HINT = (
    "install a LaTeX distribution with LuaLaTeX and booktabs (Debian/Ubuntu: "
    "apt-get install texlive-luatex texlive-latex-recommended fonts-dejavu) or name an "
    "installed engine with --engine"
)


def tables_document(tables: Sequence[Path], engine: str) -> str:
    """A standalone document that inputs every table file on its own landscape page."""
    if engine not in ENGINES:
        raise ValueError(f"unknown LaTeX engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine == "pdflatex":
        fonts = "\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n"
    else:
        fonts = (
            "\\usepackage{fontspec}\n"
            "\\IfFontExistsTF{DejaVu Serif}{\\setmainfont{DejaVu Serif}}{}\n"
        )
    body = "\n\\clearpage\n".join(f"\\input{{{Path(t).resolve().as_posix()}}}" for t in tables)
    return (
        "\\documentclass[10pt]{article}\n"
        "\\usepackage[a4paper,landscape,margin=1.5cm]{geometry}\n"
        f"{fonts}"
        "\\usepackage{booktabs}\n"
        "\\pagestyle{empty}\n"
        "\\begin{document}\n"
        f"{body}\n"
        "\\end{document}\n"
    )


def find_engines(preferred: str | None = None) -> list[str]:
    """Engines to try, in order: ``preferred`` alone (it must be installed), else all found."""
    candidates = [preferred] if preferred else list(ENGINES)
    for name in candidates:
        if name not in ENGINES:
            raise ValueError(f"unknown LaTeX engine {name!r}; expected one of {', '.join(ENGINES)}")
    found = [name for name in candidates if shutil.which(name)]
    if not found:
        wanted = preferred or " / ".join(ENGINES)
        raise RuntimeError(f"no LaTeX engine found on PATH ({wanted}): {_INSTALL_HINT}")
    return found


def compile_tables(tables: Sequence[Path], out_pdf: Path, engine: str | None = None) -> Path:
    """Compile ``tables`` (in order, one per page) into ``out_pdf``; returns its path.

    Without ``engine`` every installed engine is tried in the order of ``ENGINES`` and the
    first that compiles wins: an installation may have ``lualatex`` without the OpenType fonts
    ``fontspec`` needs, where ``pdflatex`` still works for Latin-only tables.
    """
    tables = [Path(t) for t in tables]
    if not tables:
        raise ValueError("no table files to compile")
    missing = [str(t) for t in tables if not t.is_file()]
    if missing:
        raise FileNotFoundError(f"table file(s) not found: {', '.join(missing)}")
    failures = []
    for name in find_engines(engine):
        with tempfile.TemporaryDirectory(prefix="zsiw-tables-") as tmp:
            pdf, error = _run_engine(name, tables, Path(tmp))
            if pdf is not None:
                out_pdf = Path(out_pdf)
                out_pdf.parent.mkdir(parents=True, exist_ok=True)
                partial = out_pdf.with_name(out_pdf.name + ".tmp")
                shutil.copyfile(pdf, partial)
                partial.replace(out_pdf)
                return out_pdf
            failures.append(error)
    raise RuntimeError(
        f"could not compile the tables {', '.join(map(str, tables))}:\n" + "\n".join(failures)
    )


def _run_engine(engine: str, tables: list[Path], workdir: Path) -> tuple[Path | None, str]:
    """Run one engine; the PDF, or None and a message with the log's first error."""
    tex = workdir / "tables.tex"
    tex.write_text(tables_document(tables, engine), encoding="utf-8")
    done = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=workdir,
        capture_output=True,
        text=True,
        errors="replace",
    )
    pdf = workdir / "tables.pdf"
    if done.returncode == 0 and pdf.is_file():
        return pdf, ""
    log_file = workdir / "tables.log"
    log = log_file.read_text(errors="replace") if log_file.is_file() else done.stdout
    lines = log.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("!")), None)
    where = " ".join(lines[first : first + 3]) if first is not None else "(no error line in log)"
    hint = ""
    if engine == "pdflatex":
        hint = "; pdfLaTeX cannot set non-Latin text (Cyrillic, Japanese)"
    return None, f"  {engine} (exit {done.returncode}): {where}{hint}"


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
