"""The IW study: does the weighting do anything? (`zsiw study`, Snakemake target `study_iw`).

For each task x target, plain fine-tuning against the paper's cosine IW and each variant, all
with the same seeds (paired runs): mean ± std over seeds, the paired difference with a 95 %
paired-bootstrap interval (test items resampled, seeds pooled; `zsiw.significance`), a 95 %
t-interval of the per-seed differences, and the weight dispersion. The two intervals answer
different questions: the bootstrap holds the trained models fixed and measures test-set noise;
the t-interval measures whether the difference survives retraining with other seeds. With the
cells' geometry files (`zsiw.geometry`), the findings also say what each model's own weights
follow: the target batch's class mix. Writes a LaTeX table and a Markdown findings page whose
every claim is a number with its interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from zsiw import markdown
from zsiw.atomic import write_text
from zsiw.plan import PLAIN, Cell, task_group
from zsiw.report.tables import latex_escape, multi_source_mask
from zsiw.settings import IW_ONLY as IW_ONLY_SETTINGS
from zsiw.significance import N_RESAMPLES, compare_runs
from zsiw.stats import load_rows


def seed_interval(deltas: pd.Series, level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean per-seed difference (NaN with fewer than 2 seeds)."""
    from scipy import stats

    n = len(deltas)
    if n < 2:
        return float("nan"), float("nan")
    mean, sem = float(deltas.mean()), float(deltas.std(ddof=1)) / n**0.5
    half = float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * sem
    return mean - half, mean + half


def study_rows(
    metrics: Sequence[str | Path],
    runs_root: str | Path,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (task, encoder, target, method) with plain vs method, paired over seeds."""
    frame = load_rows(metrics)
    frame = frame[~multi_source_mask(frame)]
    out = []
    for (task, encoder, lang), part in frame.groupby(["task", "encoder", "eval_lang"]):
        plain = part[part["method"] == PLAIN].set_index("seed")["score"]
        if plain.empty:
            continue
        for method, rows in part[part["method"] != PLAIN].groupby("method"):
            scores = rows.set_index("seed")["score"]
            seeds = sorted(set(scores.index) & set(plain.index))
            if not seeds:
                continue
            src = rows["sources"].iloc[0]
            pairs = [
                (
                    Path(runs_root, *_tail(Cell(task, encoder, PLAIN, (src,), "all", s)))
                    / "predictions"
                    / f"{lang}.jsonl",
                    Path(runs_root, *_tail(Cell(task, encoder, method, (src,), lang, s)))
                    / "predictions"
                    / f"{lang}.jsonl",
                )
                for s in seeds
            ]
            per_seed = scores[seeds] - plain[seeds]
            seed_low, seed_high = seed_interval(per_seed)
            boot = compare_runs(
                pairs, task_group=task_group(task), n_resamples=n_resamples, seed=seed
            )
            out.append(
                {
                    "task": task,
                    "encoder": encoder,
                    "target": lang,
                    "method": method,
                    "seeds": len(seeds),
                    "plain_mean": plain[seeds].mean(),
                    "plain_std": plain[seeds].std(ddof=1) if len(seeds) > 1 else 0.0,
                    "iw_mean": scores[seeds].mean(),
                    "iw_std": scores[seeds].std(ddof=1) if len(seeds) > 1 else 0.0,
                    "delta": boot["delta"],
                    "ci_low": boot["ci_low"],
                    "ci_high": boot["ci_high"],
                    "p_value": boot["p_value"],
                    # the same difference seed by seed: how it compares to seed noise
                    "seed_delta_mean": per_seed.mean(),
                    "seed_delta_std": per_seed.std(ddof=1) if len(seeds) > 1 else 0.0,
                    "seed_ci_low": seed_low,
                    "seed_ci_high": seed_high,
                    "seed_wins": int((per_seed > 0).sum()),
                    "seed_losses": int((per_seed < 0).sum()),
                    "ess_ratio": rows["w_ess_ratio_mean"].mean(),
                    "n_max": rows["w_n_max_max"].max(),
                }
            )
    return pd.DataFrame(out)


def _tail(cell: Cell) -> tuple[str, ...]:
    """The run directory below ``results/runs``."""
    return cell.run_dir.parts[2:]


def _interval(low: float, high: float) -> str:
    """``[+a, +b]``, or ``--`` where there is no interval (one seed)."""
    return "--" if pd.isna(low) else f"[{low:+.4f}, {high:+.4f}]"


def study_table(rows: pd.DataFrame) -> str:
    lines = [
        "\\begin{table}[t]",
        "\\centering",
        "\\small",
        "\\begin{tabular}{lllccccc}",
        "\\toprule",
        "Task & Target & Method & Plain & IW & $\\Delta$ [95\\% CI] & per seed [95\\% $t$] "
        "& ESS/$n$ \\\\",
        "\\midrule",
    ]
    for _, r in rows.iterrows():
        lines.append(
            " & ".join(
                [
                    latex_escape(r["task"]),
                    latex_escape(r["target"]),
                    latex_escape(r["method"]),
                    f"${r['plain_mean']:.3f} \\pm {r['plain_std']:.3f}$",
                    f"${r['iw_mean']:.3f} \\pm {r['iw_std']:.3f}$",
                    f"${r['delta']:+.4f}$ [{r['ci_low']:+.4f}, {r['ci_high']:+.4f}]",
                    _interval(r["seed_ci_low"], r["seed_ci_high"]),
                    f"{r['ess_ratio']:.4f}",
                ]
            )
            + " \\\\"
        )
    lines += [
        "\\bottomrule",
        "\\end{tabular}",
        "\\caption{Does the weighting do anything? Plain fine-tuning vs the paper's cosine IW "
        "and variants, paired by seed: mean $\\pm$ sample std over seeds; $\\Delta$ = IW $-$ "
        "plain with a 95\\% paired-bootstrap interval over test items (seeds pooled; the trained "
        "models held fixed); per seed: 95\\% Student-$t$ interval of the mean per-seed "
        "$\\Delta$ (training noise); ESS/$n$: "
        "mean effective sample size of the weights over the batch size (1 = uniform).}",
        "\\label{tab:study-iw}",
        "\\end{table}",
    ]
    return "\n".join(lines) + "\n"


def train_infos(metrics: Sequence[str | Path]) -> list[tuple[Path, dict]]:
    """(run directory, train.json contents) of every run that has a train.json."""
    import json

    infos = []
    for path in metrics:
        train = Path(path).parent / "train.json"
        if train.exists():
            infos.append((train.parent, json.loads(train.read_text())))
    return infos


def run_context(infos: Sequence[tuple[Path, dict]]) -> str:
    """What was trained, from the runs' `train_infos`: per task the encoder, depth,
    steps, length, learning rate and batch sizes of an IW run (plain runs are not given the
    target batch size); seeds; total train time."""
    tasks: dict[str, str] = {}
    seconds, seeds = 0.0, set()
    for _, info in infos:
        seconds += float(info.get("seconds", 0.0))
        seeds.add(int(info["seed"]))
        st, cell = info["settings"], info["cell"]
        if info["method"] != PLAIN and cell["task"] not in tasks:
            layers = f"first {st['num_layers']} layers" if st.get("num_layers") else "all layers"
            frozen = ", embeddings frozen" if st.get("freeze_embeddings") else ""
            tasks[cell["task"]] = (
                f"* {cell['task']}: {cell['encoder']} ({layers}{frozen}), {info['steps']} steps "
                f"of {st['batch_size']} source + {st['target_batch_size']} target instances, "
                f"max length {st['max_length']}, lr {st['lr']:g}, on {info.get('device', '?')}"
            )
    if not tasks:
        return ""
    return "\n".join(
        [
            f"What was trained (seeds {sorted(seeds)}; {seconds / 3600:.2f} h of training "
            "summed over all runs):",
            "",
            *tasks.values(),
        ]
    )


# Settings that may differ between the runs of one comparison: the hardware, and what only
# IW runs are given (plain runs do not see target data).
_NOT_COMPARED = IW_ONLY_SETTINGS | {"threads", "device", "target_split"}


def check_comparable(infos: Sequence[tuple[Path, dict]]) -> None:
    """Refuse to compare runs of one task that were trained differently.

    A run left over from an earlier preset (say 2 layers, 40 steps) keeps its outputs, and
    Snakemake started without its `params` rerun trigger would not retrain it; compared with
    the others it would pass for an effect of the method.
    """
    first: dict[str, tuple[Path, dict]] = {}
    for run_dir, info in infos:
        trained = {k: v for k, v in info["settings"].items() if k not in _NOT_COMPARED}
        trained["steps"] = info["steps"]
        task = info["cell"]["task"]
        if task not in first:
            first[task] = (run_dir, trained)
            continue
        ref_dir, ref = first[task]
        differ = sorted(k for k in ref.keys() | trained.keys() if ref.get(k) != trained.get(k))
        if differ:
            detail = ", ".join(f"{k}: {ref.get(k)!r} vs {trained.get(k)!r}" for k in differ)
            raise ValueError(
                f"{run_dir} was trained unlike {ref_dir} ({detail}); the study compares "
                "runs trained alike. Delete the run directory that does not match the preset "
                "and run `snakemake study_iw` again to retrain it."
            )


# ESS/n above this: the weights are "close to uniform" (an effective sample size within 1 %
# of the batch's). Single weights can still sit further from 1/n, so n·max w is printed too.
UNIFORM_ESS = 0.99


def _cells(n: int) -> str:
    return markdown.count(n, "cell")


def class_mix_rows(records: Sequence[dict]) -> pd.DataFrame:
    """Per task x target x model (a cell's method; ``none`` for plain), over its seeds, from
    the cells' class-mix records: the Pearson r between a source class's share of the target
    batch and its mean excess weight n·w − 1 (mean over the seeds where it is defined, and
    its range), and the range of that excess (how far a class's weight moves from 1/n)."""
    columns = ["task", "target", "method", "seeds", "r_mean", "r_min", "r_max"]
    columns += ["excess_min", "excess_max"]
    frame = pd.DataFrame(records)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    out = []
    for (task, target, model), part in frame.groupby(["task", "target", "model"]):
        r = part["class_mix_r"].dropna()
        out.append(
            [task, target, model, part["seed"].nunique()]
            + ([r.mean(), r.min(), r.max()] if len(r) else [float("nan")] * 3)
            + [part["excess_min"].min(), part["excess_max"].max()]
        )
    rows = pd.DataFrame(out, columns=columns)
    plain_first = rows["method"] != PLAIN  # plain, then each method, per task and target
    return (
        rows.assign(_k=plain_first)
        .sort_values(["task", "target", "_k", "method"])
        .drop(columns="_k")
        .reset_index(drop=True)
    )


def _class_mix_clause(mix: pd.DataFrame) -> str:
    """What a method's weights follow, over its targets (empty without measurements)."""
    r = mix["r_mean"].dropna()
    if r.empty:
        return ""
    return (
        f"; a source class's weight correlates with its share of the target batch at r "
        f"{r.mean():+.2f} on average (per target {r.min():+.2f} to {r.max():+.2f}; 1: the "
        f"weights follow the class mix), its n·w − 1 ranging from "
        f"{mix['excess_min'].min():+.4f} to {mix['excess_max'].max():+.4f}"
    )


def conclusion(
    method: str, part: pd.DataFrame, task: str = "", mix: pd.DataFrame | None = None
) -> str:
    """One plain-language sentence per method (and task: scores of different tasks are
    different metrics, not pooled), built only from the measured rows."""
    gains = int(((part["ci_low"] > 0) & (part["delta"] > 0)).sum())
    losses = int(((part["ci_high"] < 0) & (part["delta"] < 0)).sum())
    n, ess = len(part), part["ess_ratio"].mean()
    seed_gains = int((part["seed_ci_low"] > 0).sum())
    seed_losses = int((part["seed_ci_high"] < 0).sum())
    seed_sig = seed_gains + seed_losses
    spread, n_max = part["plain_std"].mean(), part["n_max"].max()
    weights = (
        # ESS/n is an average: it can sit near 1 while single weights move by half
        f"its weights stay close to uniform on average (mean ESS/n {ess:.4f}), single "
        f"weights reaching n·w {n_max:.3f}"
        if ess >= UNIFORM_ESS
        else f"its weights move (mean ESS/n {ess:.4f}, largest n·w {n_max:.2f})"
    )
    if gains == losses == seed_sig == 0:
        effect = (
            f"no measurable effect: in {'all ' if n > 1 else ''}{_cells(n)} both 95 % "
            "intervals of Δ contain 0 "
            f"(Δ from {part['delta'].min():+.4f} to {part['delta'].max():+.4f}, against a "
            f"seed-to-seed std of the plain model of {spread:.4f} on average)"
        )
    else:
        effect = (
            f"the bootstrap interval excludes 0 in {gains + losses} of {_cells(n)} "
            f"({markdown.count(gains, 'gain')}, {markdown.count(losses, 'loss', 'losses')}; "
            f"mean Δ {part['delta'].mean():+.4f}, seed-to-seed std of the "
            f"plain model {spread:.4f} on average); across training seeds (t-interval of "
            f"the per-seed Δ) it excludes 0 in {seed_sig} of {_cells(n)} "
            f"({markdown.count(seed_gains, 'gain')}, "
            f"{markdown.count(seed_losses, 'loss', 'losses')})"
        )
    label = f"{task}, `{method}`" if task else f"`{method}`"
    follows = "" if mix is None else _class_mix_clause(mix)
    return f"* **{label}**: {effect}; {weights}{follows}."


def findings(rows: pd.DataFrame, context: str = "", mixes: pd.DataFrame | None = None) -> str:
    """A plain-language summary that states only measured numbers with their intervals;
    with ``mixes`` (`class_mix_rows`), also what each model's weights follow."""
    if rows.empty:
        return "# Findings: does the weighting do anything?\n\nNo study results yet.\n"
    sig = rows[(rows["ci_low"] > 0) | (rows["ci_high"] < 0)]
    gains = sig[sig["delta"] > 0]
    seed_sig = rows[(rows["seed_ci_low"] > 0) | (rows["seed_ci_high"] < 0)]
    text = [
        "# Findings: does the weighting do anything?",
        "",
        "Generated by `snakemake study_iw` (`zsiw study`); every number below was measured in "
        "that run. Δ = IW − plain, paired by seed; its interval is a 95 % paired bootstrap "
        "over test items with the seeds pooled, which holds the trained models fixed (it "
        "measures test-set noise, not training noise). Per-seed Δ is the same difference "
        "seed by seed: mean ± std over seeds, a 95 % Student-t interval of that mean (does "
        "the difference survive retraining?), and wins/losses = seeds where IW scored "
        "above/below plain.",
    ]
    if context:
        text += ["", context]
    text += [
        "",
        "## Conclusion",
        "",
        f"{len(rows)} comparisons (task × target × method); the bootstrap interval excludes "
        f"0 in {len(sig)} of them ({markdown.count(len(gains), 'gain')}, "
        f"{markdown.count(len(sig) - len(gains), 'loss', 'losses')}); the per-seed t-interval in "
        f"{len(seed_sig)} ({markdown.count(int((seed_sig['seed_delta_mean'] > 0).sum()), 'gain')}, "
        f"{markdown.count(int((seed_sig['seed_delta_mean'] < 0).sum()), 'loss', 'losses')}).",
        "",
    ]

    def mix_of(task: str, method: str) -> pd.DataFrame | None:
        if mixes is None:
            return None
        return mixes[(mixes["task"] == task) & (mixes["method"] == method)]

    text += [
        conclusion(m, part, task=t, mix=mix_of(t, m))
        for (t, m), part in rows.groupby(["task", "method"])
    ]
    text += [
        "",
        "## Per task and method",
        "",
    ]
    for (task, method), part in rows.groupby(["task", "method"]):
        text.append(
            f"* {task}, `{method}`: mean Δ {part['delta'].mean():+.4f} over {len(part)} "
            f"task×target cells (range {part['delta'].min():+.4f} to "
            f"{part['delta'].max():+.4f}); seeds where IW beat plain: "
            f"{int(part['seed_wins'].sum())} of {int(part['seeds'].sum())}; "
            f"weights' ESS/n {part['ess_ratio'].mean():.4f}, largest n·w {part['n_max'].max():.3f}."
        )
    text += [
        "",
        "## Every comparison",
        "",
    ]
    header = ["task", "target", "method", "seeds", "plain", "IW", "Δ [95 % CI]", "p"]
    header += ["per-seed Δ [95 % t-interval] (wins/losses)", "ESS/n"]
    text += markdown.table(
        header,
        [
            [r["task"], r["target"], r["method"], r["seeds"]]
            + [f"{r['plain_mean']:.4f} ± {r['plain_std']:.4f}"]
            + [f"{r['iw_mean']:.4f} ± {r['iw_std']:.4f}"]
            + [f"{r['delta']:+.4f} [{r['ci_low']:+.4f}, {r['ci_high']:+.4f}]"]
            + [f"{r['p_value']:.3f}"]
            + [
                f"{r['seed_delta_mean']:+.4f} ± {r['seed_delta_std']:.4f} "
                f"{_interval(r['seed_ci_low'], r['seed_ci_high'])} "
                f"({r['seed_wins']}/{r['seed_losses']})"
            ]
            + [f"{r['ess_ratio']:.4f}"]
            for _, r in rows.iterrows()
        ],
    )
    if mixes is not None and not mixes.empty:
        text += ["", *class_mix_section(mixes)]
    return "\n".join(text) + "\n"


def class_mix_section(mixes: pd.DataFrame) -> list[str]:
    """The findings' table of what the weights follow, one row per task x target x model."""
    text = [
        "## What the weights follow",
        "",
        "Measured on each trained model after training (`zsiw.geometry`, the cell's "
        "`geometry.json`): source and target batches drawn as in training, each model's own "
        "weights (its method and settings; plain: the paper's cosine, what IW would make of "
        "its vectors). A source class (CLS: the label; OTE: whether the sentence has an "
        "opinion target) is weighted up as far as it is frequent in the target batch when r "
        "is near 1. r: Pearson correlation of a class's share of the target batch with its "
        "mean n·w − 1, mean over seeds [range]; n·w − 1: how far a class's mean weight "
        "moves from 1/n, over every batch and seed. Reading target labels here is analysis "
        "only: no model is trained or selected with them.",
        "",
    ]

    def r_text(row: pd.Series) -> str:
        if pd.isna(row["r_mean"]):
            return "n/a"
        return f"{row['r_mean']:+.2f} [{row['r_min']:+.2f}, {row['r_max']:+.2f}]"

    header = ["task", "target", "model", "seeds", "r (mean [range])", "n·w − 1 of a class"]
    text += markdown.table(
        header,
        [
            [r["task"], r["target"], "plain" if r["method"] == PLAIN else r["method"]]
            + [str(r["seeds"]), r_text(r)]
            + [f"{r['excess_min']:+.4f} to {r['excess_max']:+.4f}"]
            for _, r in mixes.iterrows()
        ],
    )
    return text


def write_study(
    metrics: Sequence[str | Path],
    runs_root: str | Path,
    table_path: str | Path,
    findings_path: str | Path,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    context: str = "",
    geometry: Sequence[str | Path] = (),
) -> pd.DataFrame:
    """The study table and findings; ``geometry``: the cells' geometry files, for what
    their weights follow (none: that section is left out)."""
    from zsiw.publish import load_geometry_records

    infos = train_infos(metrics)
    check_comparable(infos)
    rows = study_rows(metrics, runs_root, n_resamples=n_resamples, seed=seed)
    context = context or run_context(infos)
    mixes = class_mix_rows(load_geometry_records(geometry)[1]) if geometry else None
    page = findings(rows, context, mixes)
    for path, text in ((table_path, study_table(rows)), (findings_path, page)):
        write_text(path, text)
    return rows
