"""LaTeX tables: exact cells on a hand-made frame, escaping, case-study picks, well-formedness."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from zsiw.report import (
    encoder_label,
    format_cell,
    latex_escape,
    table_case_study,
    table_main,
    table_multisource,
    wrap_document,
)

MBERT = "bert-base-multilingual-cased"
E5 = "zsiw-demo/multilingual-e5-small"
NASTY_ENCODER = "org/my_model&co%#$"


def _row(task: str, encoder: str, method: str, lang: str, seed: int, score: float, **kw) -> dict:
    group = task.split("-")[0]
    domain = task.split("-", 1)[1] if group == "cls" else None
    sources = kw.get("sources", "en")
    return {
        "task": task,
        "task_group": group,
        "domain": domain,
        "encoder": encoder,
        "method": method,
        "sources": sources,
        "multi_source": "+" in sources,
        "eval_lang": lang,
        "seed": seed,
        "score": score,
    }


@pytest.fixture()
def frame() -> pd.DataFrame:
    """Two seeds, two encoders, two targets; the numbers are chosen so means/stds are exact.

    Sample std (ddof=1) of two values a, b is |a - b| / sqrt(2).
    """
    r = []
    # OTE, mBERT plain: es (0.70, 0.72) -> 0.710 ± 0.014; ru (0.60, 0.64) -> 0.620 ± 0.028
    r += [_row("ote", MBERT, "none", "es", 0, 0.70), _row("ote", MBERT, "none", "es", 1, 0.72)]
    r += [_row("ote", MBERT, "none", "ru", 0, 0.60), _row("ote", MBERT, "none", "ru", 1, 0.64)]
    # mBERT+IW (cosine): es (0.69, 0.69) -> 0.690 ± 0.000; ru (0.66, 0.70) -> 0.680 ± 0.028
    r += [_row("ote", MBERT, "cosine", "es", 0, 0.69), _row("ote", MBERT, "cosine", "es", 1, 0.69)]
    r += [_row("ote", MBERT, "cosine", "ru", 0, 0.66), _row("ote", MBERT, "cosine", "ru", 1, 0.70)]
    # Distractors that must not leak into the cells above.
    r += [
        _row("ote", MBERT, "euclidean", "es", 0, 0.11),
        _row("ote", MBERT, "euclidean", "es", 1, 0.13),
    ]
    r += [_row("ote", MBERT, "cosine", "es", 0, 0.13, sources="en+nl+ru+tr")]
    # e5: one seed only for plain es, nothing for ru, nothing for IW.
    r += [_row("ote", E5, "none", "es", 0, 0.55)]
    # MLDoc: the plain model is also evaluated on en; the IW model per target only.
    r += [_row("mldoc", MBERT, "none", "en", 0, 0.90), _row("mldoc", MBERT, "none", "en", 1, 0.92)]
    r += [_row("mldoc", MBERT, "none", "de", 0, 0.80), _row("mldoc", MBERT, "none", "de", 1, 0.84)]
    r += [
        _row("mldoc", MBERT, "cosine", "de", 0, 0.85),
        _row("mldoc", MBERT, "cosine", "de", 1, 0.85),
    ]
    # CLS books: de (0.80, 0.82), fr (0.70, 0.74): language mean of seed means = (0.81 + 0.72)/2
    # = 0.765; per-seed language means 0.75, 0.78 -> std 0.0212.
    r += [
        _row("cls-books", MBERT, "none", "de", 0, 0.80),
        _row("cls-books", MBERT, "none", "de", 1, 0.82),
    ]
    r += [
        _row("cls-books", MBERT, "none", "fr", 0, 0.70),
        _row("cls-books", MBERT, "none", "fr", 1, 0.74),
    ]
    # CLS dvd has de only: the cell must stay empty rather than average one language.
    r += [
        _row("cls-dvd", MBERT, "none", "de", 0, 0.99),
        _row("cls-dvd", MBERT, "none", "de", 1, 0.98),
    ]
    # CLS music, unbalanced (a grid still filling): fr has a third seed. Only the seeds with
    # both languages count, for the mean too: 0.70, 0.70 -> 0.70 +- 0; the mean of all the
    # language means (0.80 + 0.70) / 2 = 0.75 would be one of 2 and 3 seeds under a caption
    # saying 2; a pooled mean would give 0.74.
    r += [_row("cls-music", MBERT, "none", "de", s, 0.80) for s in (0, 1)]
    r += [_row("cls-music", MBERT, "none", "fr", s, v) for s, v in ((0, 0.6), (1, 0.6), (2, 0.9))]
    # Multi-source OTE (Table 4) for a nasty-named encoder.
    for seed, (a, b, c) in enumerate([(0.50, 0.60, 0.70), (0.52, 0.62, 0.74)]):
        r.append(_row("ote", NASTY_ENCODER, "none", "es", seed, a))
        r.append(_row("ote", NASTY_ENCODER, "cosine", "es", seed, b))
        r.append(_row("ote", NASTY_ENCODER, "cosine", "es", seed, c, sources="en+nl+ru+tr"))
        # A narrower multi-source run and one that includes the target: both ignored.
        r.append(_row("ote", NASTY_ENCODER, "cosine", "es", seed, 0.01, sources="en+nl"))
        r.append(_row("ote", NASTY_ENCODER, "cosine", "es", seed, 0.02, sources="en+es+nl+ru+tr"))
    return pd.DataFrame(r)


def _body_rows(latex: str) -> dict[str, list[str]]:
    """{first cell: other cells} for the rows of the (only) tabular."""
    rows = {}
    for line in _tabular_lines(latex, header=True):
        cells = [c.strip() for c in re.split(r"(?<!\\)&", line.removesuffix(r"\\").strip())]
        rows.setdefault(cells[0], cells[1:])
    return rows


def _tabular_lines(latex: str, *, header: bool = False) -> list[str]:
    """Rows between \\toprule and \\bottomrule; the header row only if ``header``."""
    inner = latex.split(r"\toprule", 1)[1].split(r"\bottomrule", 1)[0]
    if not header:
        inner = inner.split(r"\midrule", 1)[1]
    return [ln for ln in inner.splitlines() if ln.strip().endswith(r"\\")]


def _n_columns(latex: str) -> int:
    spec = re.search(r"\\begin\{tabular\}\{(.*)\}\n", latex).group(1)
    spec = re.sub(r"[pmb]\{[^{}]*\}", "X", spec)  # a p{width} column is one column
    return len(re.findall(r"[lcrX]", spec))


def _assert_well_formed(latex: str) -> None:
    n = _n_columns(latex)
    lines = _tabular_lines(latex, header=True)
    assert lines
    for line in lines:
        assert len(re.split(r"(?<!\\)&", line)) == n, line
    for env in ("table", "tabular"):
        assert latex.count(rf"\begin{{{env}}}") == latex.count(rf"\end{{{env}}}") == 1
    assert r"\caption{" in latex and r"\label{tab:" in latex
    assert latex.count("{") - latex.count(r"\{") == latex.count("}") - latex.count(r"\}")


# --------------------------------------------------------------------------- cells


def test_format_cell_uses_sample_std() -> None:
    assert format_cell([0.70, 0.72], 3) == r"$0.710 \pm 0.014$"
    assert format_cell([0.7, 0.8, 0.9], 4) == r"$0.8000 \pm 0.1000$"  # ddof=0 would give 0.0816
    assert format_cell([0.704], 3) == "0.704"
    assert format_cell([], 3) == "--"


def test_table1_cells_and_paper_lines(frame: pd.DataFrame) -> None:
    latex = table_main(frame, "ote", targets=["es", "ru"], encoders=[MBERT, E5])
    rows = _body_rows(latex)
    assert rows["mBERT"] == [r"$0.710 \pm 0.014$", r"$0.620 \pm 0.028$"]
    assert rows["mBERT+IW"] == [r"$0.690 \pm 0.000$", r"$0.680 \pm 0.028$"]
    assert rows["multilingual-e5-small"] == ["0.550", "--"]
    assert rows["multilingual-e5-small+IW"] == ["--", "--"]
    # Paper lines follow each of our rows the paper also reports (Table 1: 0.697/0.652,
    # 0.692/0.671), with ours minus paper; none for the e5 rows.
    lines = _tabular_lines(latex)
    i = lines.index(r"mBERT & $0.710 \pm 0.014$ & $0.620 \pm 0.028$ \\")
    assert (
        lines[i + 1] == r"\quad\textit{paper} ($\Delta$) & 0.697 ($+0.013$) & 0.652 ($-0.032$) \\"
    )
    assert (
        lines[i + 3] == r"\quad\textit{paper} ($\Delta$) & 0.692 ($-0.002$) & 0.671 ($+0.009$) \\"
    )
    assert sum(ln.startswith(r"\quad\textit{paper}") for ln in lines) == 2
    # Baselines first, daggered, H for supervised; a midrule before our rows.
    assert lines[0] == r"Pontiki et al. (2014)$^{\dagger,\mathrm{H}}$ & 0.520 & 0.493 \\"
    assert r"Kumar et al. (2016)$^{\dagger,\mathrm{H}}$ & 0.697 & -- \\" in lines
    assert r"Jebbara and Cimiano (2019)$^{\dagger}$ & 0.687 & 0.567 \\" in lines
    before_ours = latex.index("mBERT &")
    assert latex.rindex(r"\midrule", 0, before_ours) > latex.index("Agerri and Rigau")
    assert "reported by the paper" in latex and "ddof=1" in latex and "2 seeds" in latex
    assert r"\label{tab:ote}" in latex and r"\usepackage" not in latex
    _assert_well_formed(latex)


def test_table1_without_paper(frame: pd.DataFrame) -> None:
    latex = table_main(frame, "ote", targets=["es", "ru"], encoders=[MBERT], with_paper=False)
    assert "Pontiki" not in latex and r"\textit{paper}" not in latex and r"\dagger" not in latex
    assert list(_body_rows(latex)) == ["Method", "mBERT", "mBERT+IW"]
    _assert_well_formed(latex)


def test_iw_method_selects_rows(frame: pd.DataFrame) -> None:
    latex = table_main(frame, "ote", targets=["es"], encoders=[MBERT], iw_method="euclidean")
    assert _body_rows(latex)["mBERT+IW"] == [r"$0.120 \pm 0.014$"]
    assert "euclidean" in latex
    # The paper reports only cosine, so the IW row gets no paper line.
    assert sum(ln.startswith(r"\quad\textit{paper}") for ln in _tabular_lines(latex)) == 1


def test_table2_en_column(frame: pd.DataFrame) -> None:
    latex = table_main(frame, "mldoc", targets=["de"], encoders=[MBERT])
    rows = _body_rows(latex)
    assert rows["Method"] == ["en", "de"]
    assert rows["mBERT"] == [r"$0.9100 \pm 0.0141$", r"$0.8200 \pm 0.0283$"]
    assert rows["mBERT+IW"] == ["--", r"$0.8500 \pm 0.0000$"]
    lines = _tabular_lines(latex)
    i = lines.index(r"mBERT & $0.9100 \pm 0.0141$ & $0.8200 \pm 0.0283$ \\")
    assert (
        lines[i + 1]
        == r"\quad\textit{paper} ($\Delta$) & 0.8981 ($+0.0119$) & 0.8680 ($-0.0480$) \\"
    )
    assert lines[i + 3] == r"\quad\textit{paper} ($\Delta$) & -- & 0.8766 ($-0.0266$) \\"
    assert r"Schwenk and Li (2018)$^{\dagger,\mathrm{H}}$ & 0.9220 & 0.8120 \\" in lines
    # en is not duplicated when the caller lists it as a target.
    again = table_main(frame, "mldoc", targets=["en", "de"], encoders=[MBERT])
    assert _body_rows(again)["Method"] == ["en", "de"]
    _assert_well_formed(latex)


def test_table3_averages_over_languages(frame: pd.DataFrame) -> None:
    latex = table_main(frame, "cls", targets=["de", "fr"], encoders=[MBERT])
    rows = _body_rows(latex)
    assert rows["Method"] == ["Books", "DVD", "Music"]
    assert rows["mBERT"] == [r"$0.7650 \pm 0.0212$", "--", r"$0.7000 \pm 0.0000$"]
    assert "over 2 seeds" in latex
    # The paper's cells average de, fr, ja: not comparable to a de+fr mean, so no paper line.
    assert r"\textit{paper} (" not in latex
    assert "UMM (Xu and Wan, 2017)" in latex and "mean over the target languages" in latex
    _assert_well_formed(latex)


def test_table3_paper_line_when_languages_match(frame: pd.DataFrame) -> None:
    ja = [_row("cls-books", MBERT, "none", "ja", s, v) for s, v in ((0, 0.60), (1, 0.62))]
    data = pd.concat([frame, pd.DataFrame(ja)], ignore_index=True)
    latex = table_main(data, "cls", targets=["de", "fr", "ja"], encoders=[MBERT])
    # (0.81 + 0.72 + 0.61) / 3 = 0.71333; per-seed means 0.70, 0.72667 -> std 0.0189.
    assert _body_rows(latex)["mBERT"][0] == r"$0.7133 \pm 0.0189$"
    assert r"\quad\textit{paper} ($\Delta$) & 0.7497 ($-0.0364$) & 0.7378 & 0.7575 \\" in latex


def test_frame_without_optional_columns(frame: pd.DataFrame) -> None:
    slim = frame.drop(columns=["task_group", "domain", "multi_source"])
    assert table_main(slim, "cls", targets=["de", "fr"], encoders=[MBERT]) == table_main(
        frame, "cls", targets=["de", "fr"], encoders=[MBERT]
    )


def test_table4_multisource(frame: pd.DataFrame) -> None:
    latex = table_multisource(frame, targets=["es", "ru"], encoder=NASTY_ENCODER)
    rows = _body_rows(latex)
    label = r"my\_model\&co\%\#\$"
    assert rows[label] == [r"$0.510 \pm 0.014$", "--"]
    assert rows["Single-source"] == [r"$0.610 \pm 0.014$", "--"]
    assert rows["Multi-source"] == [r"$0.720 \pm 0.028$", "--"]
    assert r"es $\leftarrow$ en+nl+ru+tr" in latex
    assert r"\textit{paper}" not in latex  # the paper's Table 4 is XLMR only
    _assert_well_formed(latex)


def test_table4_paper_lines_for_xlmr() -> None:
    xlmr = "xlm-roberta-base"
    df = pd.DataFrame(
        [_row("ote", xlmr, "cosine", "ru", s, v, sources="en+es+nl+tr") for s, v in ((0, 0.75),)]
    )
    latex = table_multisource(df, targets=["ru"], encoder=xlmr)
    lines = _tabular_lines(latex)
    assert lines[-1] == r"\quad\textit{paper} ($\Delta$) & 0.745 ($+0.005$) \\"
    assert lines[0] == r"XLMR & -- \\" and lines[1] == r"\quad\textit{paper} ($\Delta$) & 0.664 \\"
    _assert_well_formed(latex)


# --------------------------------------------------------------------------- escaping


def test_latex_escape_all_specials() -> None:
    nasty = "a&b%c_d#e$f{g}h\\i~j^k"
    expected = r"a\&b\%c\_d\#e\$f\{g\}h\textbackslash{}i\textasciitilde{}j\textasciicircum{}k"
    assert latex_escape(nasty) == expected
    assert latex_escape("Ölçü «ü» 日本語") == "Ölçü «ü» 日本語"


def test_encoder_label() -> None:
    assert encoder_label("bert-base-multilingual-cased") == "mBERT"
    assert encoder_label("FacebookAI/xlm-roberta-base") == "XLMR"
    assert encoder_label("xlm-roberta-base") == "XLMR"
    assert encoder_label(E5) == "multilingual-e5-small"
    assert encoder_label(NASTY_ENCODER) == r"my\_model\&co\%\#\$"


# --------------------------------------------------------------------------- case study


def _record() -> dict:
    long_text = "word " * 100 + "TAIL"
    return {
        "step": 7,
        "target_lang": "fr",
        "source_texts": [
            "low-ish & 50% off",
            "best_match #1 {x}",
            "worst $5 \\ back~slash ^caret",
            "middle one",
            long_text,
        ],
        "source_labels": ["neg", "pos", "neg", "pos", 1],
        "target_texts": ["ce livre est exceptionnel, l\u2019écriture magique", "SECOND TARGET"],
        # Column 0 ranks 1 > 4 > 3 > 0 > 2; column 1 would rank them differently.
        "pair_scores": [[0.3, 0.9], [0.9, 0.1], [0.1, 0.8], [0.5, 0.2], [0.7, 0.0]],
        "weights": [0.25, 0.2, 0.18, 0.15, 0.14],
    }


def test_case_study_picks_and_escapes() -> None:
    latex = table_case_study(_record(), k=2)
    lines = _tabular_lines(latex)
    assert lines[0] == (
        "Target $j{=}0$ (fr) & -- & -- & -- & "
        "ce livre est exceptionnel, l\u2019écriture magique \\\\"
    )
    picked = [ln.split(" & ")[0] for ln in lines[1:]]
    assert picked == [
        "Highest 1 (source $i{=}1$)",
        "Highest 2 (source $i{=}4$)",
        "Lowest 1 (source $i{=}2$)",
        "Lowest 2 (source $i{=}0$)",
    ]
    assert r"Highest 1 (source $i{=}1$) & pos & 0.9000 & 0.2000 & best\_match \#1 \{x\} \\" in lines
    assert (
        r"Lowest 1 (source $i{=}2$) & neg & 0.1000 & 0.1800 & worst \$5 \textbackslash{} "
        r"back\textasciitilde{}slash \textasciicircum{}caret \\" in lines
    )
    assert r"low-ish \& 50\% off" in latex
    # Long texts are cut near 200 characters, at a word, with an ellipsis.
    long_cell = next(ln for ln in lines if ln.startswith("Highest 2")).split(" & ")[-1]
    assert long_cell.endswith(r"\ldots{} \\") and "TAIL" not in long_cell
    assert 180 <= len(long_cell.removesuffix(r"\ldots{} \\")) <= 200
    assert "SECOND TARGET" not in latex and "middle one" not in latex
    assert "step 7" in latex and "0.5056" in latex
    _assert_well_formed(latex)


def test_case_study_small_batch_has_no_duplicates() -> None:
    record = _record()
    latex = table_case_study(record, k=3)
    picked = [ln.split(" & ")[0] for ln in _tabular_lines(latex)[1:]]
    assert len(picked) == 5  # 3 highest + the 2 remaining, not 6
    with pytest.raises(ValueError):
        table_case_study({**record, "weights": [0.5, 0.5]})


# --------------------------------------------------------------------------- compile


def test_wrap_document_compiles(frame: pd.DataFrame, tmp_path: Path) -> None:
    tables = [
        table_main(frame, "ote", targets=["es", "ru"], encoders=[MBERT, E5, NASTY_ENCODER]),
        table_main(frame, "mldoc", targets=["de"], encoders=[MBERT]),
        table_main(frame, "cls", targets=["de", "fr"], encoders=[MBERT]),
        table_multisource(frame, targets=["es"], encoder=NASTY_ENCODER),
        table_case_study(_record()),
    ]
    doc = wrap_document(*tables)
    assert doc.startswith(r"\documentclass{article}") and doc.rstrip().endswith(r"\end{document}")
    assert r"\usepackage{booktabs}" in doc and doc.count(r"\begin{table}") == 5
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not on PATH; compile check skipped")
    from zsiw.report.pdf import compile_tables

    paths = []
    for i, table in enumerate(tables):
        paths.append(tmp_path / f"t{i}.tex")
        paths[-1].write_text(table, encoding="utf-8")
    pdf = compile_tables(paths, tmp_path / "tables.pdf")  # raises with pdflatex's first error
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_significant_iw_cells_are_starred(frame: pd.DataFrame, tmp_path) -> None:
    from zsiw.report.build import significant_cells

    sig = pd.DataFrame(
        [
            {
                "task": "ote",
                "encoder": MBERT,
                "eval_lang": "ru",
                "delta": 0.06,
                "significant": True,
            },
            {
                "task": "ote",
                "encoder": MBERT,
                "eval_lang": "es",
                "delta": -0.02,
                "significant": True,
            },
            {  # a multi-source gain belongs to Table 4, not to the single-source tables
                "task": "ote",
                "encoder": MBERT,
                "sources": "en+nl+ru+tr",
                "eval_lang": "es",
                "delta": 0.1,
                "significant": True,
            },
            {
                "task": "cls-books",
                "encoder": MBERT,
                "eval_lang": "de",
                "delta": 0.1,
                "significant": True,
            },
            {
                "task": "cls-books",
                "encoder": MBERT,
                "eval_lang": "fr",
                "delta": 0.1,
                "significant": False,
            },
        ]
    )
    sig.to_csv(tmp_path / "sig.csv", index=False)
    marks = significant_cells(tmp_path / "sig.csv", "ote")
    assert marks == {(MBERT, "ru")}  # a significant *loss* is not a gain
    assert significant_cells(tmp_path / "sig.csv", "cls") == set()  # fr not significant
    latex = table_main(frame, "ote", targets=["es", "ru"], encoders=[MBERT], significant=marks)
    rows = _body_rows(latex)
    assert rows["mBERT+IW"] == [r"$0.690 \pm 0.000$", r"$0.680 \pm 0.028$$^{*}$"]
    assert rows["mBERT"] == [r"$0.710 \pm 0.014$", r"$0.620 \pm 0.028$"]  # plain rows never
    _assert_well_formed(latex)


def test_dispersion_footnote_under_the_tabular(frame: pd.DataFrame) -> None:
    from zsiw.report.build import add_note, dispersion_note

    data = frame.copy()
    iw = data["method"] == "cosine"
    data.loc[iw, "w_ess_ratio_mean"] = 0.9990
    data.loc[iw, "w_ess_ratio_min"] = 0.9900
    data.loc[iw, "w_n_max_mean"] = 1.010
    data.loc[iw, "w_n_max_max"] = 1.200
    note = dispersion_note(data, "ote", "cosine")
    assert "ESS/$n$ mean 0.9990 (lowest step 0.9900)" in note and "highest step 1.200" in note
    latex = add_note(table_main(data, "ote", targets=["es"], encoders=[MBERT]), note)
    assert latex.index(note) > latex.index(r"\end{tabular}")
    _assert_well_formed(latex)
    assert dispersion_note(frame, "ote", "cosine") is None  # no dispersion columns


def test_case_study_record_takes_the_target_language_from_the_spec(tmp_path) -> None:
    from zsiw.report.build import case_study_record

    log = tmp_path / "weights_examples.jsonl"
    assert case_study_record(log, {}) is None  # the run logged nothing (yet)
    first = {k: v for k, v in _record().items() if k != "target_lang"}
    log.write_text(json.dumps(first) + "\n" + json.dumps({**first, "step": 1}) + "\n")
    record = case_study_record(log, {"case_study_target": "ja"})
    assert record["target_lang"] == "ja" and record["step"] == first["step"]
    assert "Target $j{=}0$ (ja)" in table_case_study(record, k=1)
    # a log that names its language keeps it
    log.write_text(json.dumps({**first, "target_lang": "fr"}) + "\n")
    assert case_study_record(log, {"case_study_target": "ja"})["target_lang"] == "fr"
