"""The results page: what a grid reproduced, generated whole from its outputs.

One Markdown page a reader can trust without opening anything else: which grid and code
produced the numbers (from the cells' ``provenance.json``), every cell of the paper's tables
beside the paper and an earlier run (the comparison page, `zsiw.report.compare`), every
IW - plain difference with both intervals (a paired bootstrap over test items from
``significance.csv``, and a Student-t interval over the per-seed differences), and what the
grid does not cover and why, with the command that would produce it. No number in it is
typed by hand; the only prose is fixed text about the data's terms and the machines.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from zsiw import markdown, plan
from zsiw.atomic import write_text
from zsiw.paper import SOURCE_LANG, canonical_encoder
from zsiw.plan import GENERATED
from zsiw.tasks import CLS_DOMAINS

PAPER_ENCODERS = ("bert-base-multilingual-cased", "xlm-roberta-base")


def _t_interval(delta: np.ndarray) -> tuple[float, float] | None:
    """95 % Student-t interval of the mean of the per-seed differences (None below 2 seeds)."""
    from scipy import stats

    if len(delta) < 2:
        return None
    half = stats.t.ppf(0.975, len(delta) - 1) * delta.std(ddof=1) / np.sqrt(len(delta))
    return float(delta.mean() - half), float(delta.mean() + half)


def differences(
    per_seed: pd.DataFrame, significance: pd.DataFrame, source_lang: str = SOURCE_LANG
) -> pd.DataFrame:
    """IW - plain per IW model and test language: both intervals and wins/losses by seed
    (a multi-source model against the plain model trained on ``source_lang``)."""
    scores = per_seed.set_index(["task", "encoder", "method", "sources", "eval_lang", "seed"])[
        "score"
    ].sort_index()
    rows = []
    for sig in significance.itertuples(index=False):
        iw = scores.xs((sig.task, sig.encoder, sig.method, sig.sources, sig.eval_lang))
        plain = scores.xs((sig.task, sig.encoder, plan.PLAIN, source_lang, sig.eval_lang))
        common = iw.index.intersection(plain.index)
        delta = (iw[common] - plain[common]).to_numpy(dtype=float)
        t = _t_interval(delta)
        rows.append(
            {
                "task": sig.task,
                "target": sig.eval_lang,
                "model": ("multi-source " if "+" in sig.sources else "") + sig.method,
                "seeds": len(delta),
                "delta": float(sig.delta),
                "boot": (float(sig.ci_low), float(sig.ci_high)),
                "t": t,
                "wins": int((delta > 0).sum()),
                "losses": int((delta < 0).sum()),
            }
        )
    return pd.DataFrame(rows)


def _interval(pair: tuple[float, float] | None) -> str:
    if pair is None or any(np.isnan(pair)):
        return "–"
    return f"[{pair[0]:+.4f}, {pair[1]:+.4f}]"


def differences_markdown(diffs: pd.DataFrame) -> str:
    lines = markdown.table(
        [
            "task",
            "target",
            "IW model",
            "seeds",
            "Δ = IW − plain",
            "95 % bootstrap (test items)",
            "95 % t (seeds)",
            "seeds won / lost",
        ],
        [
            [r.task, r.target, r.model, r.seeds, f"{r.delta:+.4f}", _interval(r.boot)]
            + [_interval(r.t), f"{r.wins} / {r.losses}"]
            for r in diffs.itertuples(index=False)
        ],
    )
    excludes = [lo > 0 or hi < 0 for lo, hi in diffs["boot"]]
    t_excludes = [t is not None and (t[0] > 0 or t[1] < 0) for t in diffs["t"]]
    lines += [
        "",
        f"The bootstrap interval excludes 0 in {sum(excludes)} of {len(diffs)} comparisons, the "
        f"t-interval over seeds in {sum(t_excludes)}. The bootstrap holds the trained models "
        "fixed (test-set noise); the t-interval asks whether the difference survives "
        "retraining. For multi-source models the plain model is the English-source one.",
    ]
    return "\n".join(lines)


def rerun_markdown(per_seed: pd.DataFrame, earlier: dict[str, Any]) -> str:
    """Every cell of an earlier run of the same grid (``report.rerun_of``: per-seed scores as
    printed, 4 decimals) beside this run's: identical, different, or not trained yet."""
    ours = (
        per_seed.assign(multi_source=per_seed["multi_source"].astype(bool))
        .set_index(["task", "method", "multi_source", "eval_lang", "seed"])["score"]
        .sort_index()
    )
    rows = []
    same = differ = missing = 0
    largest = 0.0
    for cell in earlier["cells"]:
        multi = bool(cell.get("multi_source", False))
        model = ("multi-source " if multi else "") + (
            "plain" if cell["method"] == plan.PLAIN else cell["method"]
        )
        for seed, before in enumerate(cell["seeds"], start=1):
            key = (cell["task"], cell["method"], multi, cell["target"], seed)
            if key not in ours.index:
                missing += 1
                continue
            now = round(float(ours[key]), 4)
            delta = now - float(before)
            if abs(delta) < 5e-5:
                same += 1
            else:
                differ += 1
                largest = max(largest, abs(delta))
            rows.append(
                [cell["task"], cell["target"], model, seed, f"{before:.4f}", f"{now:.4f}"]
                + ["identical" if abs(delta) < 5e-5 else f"{delta:+.4f}"]
            )
    summary = (
        f"Of the {same + differ + missing} per-seed scores of the {earlier['label']} "
        f"(`{earlier['source']}`), {same + differ} are in this grid so far: {same} identical to "
        f"the printed 4 decimals, {differ} different (largest |difference| {largest:.4f})"
        + (f"; {missing} not trained yet." if missing else ".")
    )
    note = (
        "fp32 training is deterministic on one machine, but bit for bit only between CPUs "
        "whose vector kernels are the same: torch dispatches AVX2 or AVX-512 code by what the "
        "CPU has (`cpu_capability` in each cell's provenance), and after hundreds of steps a "
        "different rounding in the last bit is a different model. A CPU with AVX-512 trains "
        "as an AVX2 one does, bit for bit, when `ATEN_CPU_CAPABILITY=avx2` and "
        "`ONEDNN_MAX_CPU_ISA=AVX2` hold torch's kernels there (`kernel_env` in the provenance)."
    )
    header = ["task", "target", "model", "seed", earlier["label"], "this run", "this − earlier"]
    return "\n".join([summary, "", note, "", *markdown.table(header, rows)])


def not_covered(config: dict, config_name: str) -> list[str]:
    """What of the paper this grid does not run, why, and the command that would."""
    out = []
    paper_run = "`snakemake --cores 8 --resources gpu=2` (params.yaml; docs/gpu.md)"
    encoders = {canonical_encoder(e) for e in config["encoders"]}
    missing = [e for e in PAPER_ENCODERS if e not in encoders]
    if missing:
        out.append(
            f"**The paper's encoders** ({', '.join(missing)}): not in this grid, which trains "
            f"{', '.join(config['encoders'])}. They need a GPU for a grid of this size and a "
            f"model hub to download from; the machine that trained this grid had neither. Every "
            f"number here is therefore a reproduction of the *method*, not of the paper's "
            f"numbers. Command: {paper_run}."
        )
    if not (config["tasks"].get("mldoc") or {}).get("enabled", True):
        out.append(
            "**Table 2 (MLDoc)**: not run. MLDoc's text comes from Reuters RCV1/RCV2, which may "
            "not be redistributed, and no copy was at hand (docs/data.md, section 3, says how to "
            "obtain it). With a copy under `data.sources.mldoc`: drop `mldoc: {enabled: false}` "
            f"from `config/{config_name}.yaml` and run it again."
        )
    cls = config["tasks"].get("cls") or {}
    if cls.get("enabled", True):
        left = [d for d in CLS_DOMAINS if d not in cls.get("domains", [])]
        if left:
            out.append(
                f"**Table 3, domains {', '.join(left)}**: not in this grid "
                f"(`tasks.cls.domains` of `config/{config_name}.yaml`), to fit its CPU budget. "
                "Add them there and run the same command."
            )
    out.append(
        "**Any GPU run**: none has been made; the CUDA and bf16 paths are untested on a GPU "
        "(docs/gpu.md is the runbook)."
    )
    return out


def provenance_markdown(records: Sequence[dict[str, Any]], root: str | Path = "") -> str:
    """Which config, commit and CPU produced how many cells; a config changed during the
    grid shows as two hashes, each with its cells and, in a published tree, its kept copy."""
    if not records:
        return "No provenance recorded (the cells were not published with `zsiw publish`)."
    commits = Counter(r.get("commit", "unknown") for r in records)
    cpus = Counter(
        f"{r.get('cpu', 'unknown')}"
        + (f" ({r['cpu_generation']})" if r.get("cpu_generation") else "")
        + f", torch kernels {r.get('cpu_capability', 'not recorded')}"
        + (
            " (held there by " + ", ".join(f"`{k}={v}`" for k, v in r["kernel_env"].items()) + ")"
            if r.get("kernel_env")
            else ""
        )
        for r in records
    )
    configs = Counter((r["config"], r["config_sha256"][:12]) for r in records)

    def config_text(name: str, sha: str, n: int) -> str:
        kept = f", kept as `{Path(root, 'configs', sha + '.yaml')}`" if root else ""
        return f"{name} (sha256 {sha}{kept}; {markdown.count(n, 'cell')})"

    torch = sorted({r.get("torch", "?") for r in records})
    return "\n".join(
        [
            "* config: " + ", ".join(config_text(*key, n) for key, n in sorted(configs.items())),
            "* code: "
            + ", ".join(
                f"`{c[:12]}{c[40:]}` ({markdown.count(n, 'cell')})"
                for c, n in sorted(commits.items())
            ),
            "* CPU: "
            + ", ".join(f"{c} ({markdown.count(n, 'cell')})" for c, n in sorted(cpus.items())),
            f"* torch {', '.join(torch)}, fp32, 1 thread per cell",
        ]
    )


def results_page(
    *,
    config: dict,
    config_name: str,
    per_seed: pd.DataFrame,
    significance: pd.DataFrame,
    comparison: str | None,
    provenance: Sequence[dict[str, Any]],
    command: str,
    earlier: dict[str, Any] | None = None,
) -> str:
    """The whole page (see the module docstring)."""
    root = config.get("published") or ""
    study_only = [c for c in plan.study_cells(config) if c not in set(plan.cells(config))]
    # the study's own cells belong to the grid once the tree holds one of them
    with_study = bool(root) and any(plan.is_published(root, c) for c in study_only)
    every = sorted(set(plan.cells(config)) | set(study_only if with_study else []))
    reported = plan.report_cells(config, every)
    absent = [c for c in every if c not in set(reported)]
    lines = [
        GENERATED,
        f"# Results of `config/{config_name}.yaml`: what this project reproduced",
        "",
        f"Generated by `{command}` from the committed cell outputs under "
        f"`{config.get('published') or plan.RESULTS_DIR}` (every number below is read from "
        "them; none is typed by hand). Paper: Li et al., *Zero-shot instance weighting for "
        "cross-lingual text classification*.",
        "",
        "## What produced these numbers",
        "",
        f"* cells: {len(reported)} of the grid's {len(every)} trained and published"
        + (" (the study's seeds included)" if with_study else "")
        + (", the rest listed at the end" if absent else ""),
        provenance_markdown(provenance, root),
        "",
        "## Every cell beside the paper and the earlier run",
        "",
        comparison.strip() if comparison else "(no earlier run configured: `report.compare_with`)",
        "",
        "## IW − plain, with both intervals",
        "",
        differences_markdown(differences(per_seed, significance, config["source_lang"]))
        if not significance.empty
        else "(no IW model with its plain model in this grid yet)",
        "",
        "## Not reproduced here, and why",
        "",
        *[f"* {item}" for item in not_covered(config, config_name)],
    ]
    if earlier:
        lines += [
            "",
            f"## Against the {earlier['label']}",
            "",
            rerun_markdown(per_seed, earlier),
        ]
    if absent:
        lines += [
            "",
            f"## Cells not yet published ({len(absent)})",
            "",
            "Trained by the same command; `zsiw publish` adds each as it finishes.",
            "",
            *[f"* `{c.label}`" for c in absent],
        ]
    return "\n".join(lines) + "\n"


def write_results_page(
    out: str | Path,
    *,
    config: dict,
    config_name: str,
    rows: str | Path,
    significance: str | Path,
    comparison: str | Path | None,
    provenance: Sequence[str | Path],
    command: str,
    rerun_of: str | Path | None = None,
) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = results_page(
        config=config,
        config_name=config_name,
        per_seed=pd.read_csv(rows),
        significance=pd.read_csv(significance),
        comparison=Path(comparison).read_text() if comparison else None,
        provenance=[json.loads(Path(p).read_text()) for p in provenance],
        command=command,
        earlier=yaml.safe_load(Path(rerun_of).read_text()) if rerun_of else None,
    )
    return write_text(out, text)
