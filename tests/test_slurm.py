"""The SLURM profile (workflow/profiles/slurm): how it renders, what it plans, and one real run.

The real run submits a reduced grid (tiny random encoder, OTE only, one target, one seed)
through snakemake-executor-plugin-slurm to the one-node cluster that
../shared/slurm/start-local-slurm sets up, and checks that every non-local job went through
sbatch and that train asked SLURM for a GPU. It skips cleanly where that cluster
cannot be had (no ../shared/slurm, not root, or the script fails).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SLURM_DIR = SHARED / "slurm"
PROFILE = REPO / "workflow" / "profiles" / "slurm"
VENV_BIN = Path(sys.executable).parent
GPU_RULES = {"train"}
# Rules that must be submitted with sbatch; the others are local rules: fetch_encoder and
# obtain_raw may download (compute nodes often have no network), aggregate, tables and report
# take seconds (not worth a queue wait).
SLURM_RULES = {"prepare_dataset", "tokenise", "train"}
LOCAL_RULES = {"fetch_encoder", "obtain_raw", "aggregate", "tables", "report"}
CLUSTER_VARS = (
    "SBATCH_PARTITION",
    "SBATCH_ACCOUNT",
    "ZSIW_SLURM_GPU_PARTITION",
    "ZSIW_SLURM_GPU_MODEL",
)

# On top of params.yaml + config/demo.yaml: the smallest grid that still exercises every rule.
TINY = "zsiw-test/tiny-xlmr"
TEST_CONFIG = {
    "encoders": [TINY],
    "methods": ["none", "cosine"],
    "seeds": [1],
    "tasks": {
        "ote": {
            "targets": ["es"],
            "multi_source": {"enabled": False, "languages": [], "encoders": [], "methods": []},
            "train": {"max_length": 32, "epochs": 1},  # the task's epochs override train.epochs
        },
        "mldoc": {"enabled": False},
        "cls": {"enabled": False},
    },
    "data": {"demo_train": 16, "demo_test": 8},
    "train": {"epochs": 1, "batch_size": 8, "target_batch_size": 8, "eval_batch_size": 8},
    # threads: 2 for train shows that params.yaml `resources:` reach sbatch (--cpus-per-task).
    "resources": {
        "train": {"mem_mb": 1000, "runtime": 10, "threads": 2},
    },
    "tables": {
        "case_study": {
            "task": "ote",
            "encoder": TINY,
            "method": "cosine",
            "target": "es",
            "seed": 1,
        },
    },
}

# Test-only settings for the local cluster, on the command line (which overrides every
# profile); the user profile stays untouched.
LOCAL_CLUSTER_ARGS = [
    # No slurmdbd: sacct fails, so the plugin would never see a job finish.
    "--slurm-status-command",
    "squeue",
    # Poll quickly (the plugin waits 40 s before its first status check by default).
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--seconds-between-status-checks",
    "2",
    "--latency-wait",
    "5",
    # A failure should fail the test at once, not be resubmitted.
    "--retries",
    "0",
]


def clean_env() -> dict:
    """This environment minus the cluster variables and any global Snakemake profile."""
    return {
        k: v for k, v in os.environ.items() if k not in CLUSTER_VARS and k != "SNAKEMAKE_PROFILE"
    }


def render_profile(monkeypatch, **env) -> dict:
    """The profile as Snakemake's own parser turns it into command-line values."""
    from snakemake.profiles import ProfileConfigFileParser

    for name in CLUSTER_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with open(PROFILE / "config.yaml") as stream:
        return dict(ProfileConfigFileParser().parse(stream))


def test_profile_without_cluster_variables_sets_no_cluster_keys(monkeypatch):
    assert not (PROFILE / "profile.yaml").exists(), "keep one profile file (see config.yaml)"
    args = render_profile(monkeypatch)
    assert args["executor"] == "slurm"
    assert args["rerun-incomplete"] == "True" and args["keep-going"] == "True"
    defaults = dict(a.split("=", 1) for a in args["default-resources"])
    assert set(defaults) == {"mem_mb", "runtime"}  # no partition, account or GPU for all jobs
    assert "set-resources" not in args  # train declares gpu=1 itself


def test_profile_takes_partition_account_and_gpu_type_from_the_environment(monkeypatch):
    args = render_profile(
        monkeypatch,
        SBATCH_PARTITION="all",
        SBATCH_ACCOUNT="proj-1",
        ZSIW_SLURM_GPU_PARTITION="gpu",
        ZSIW_SLURM_GPU_MODEL="a100",
    )
    defaults = dict(a.split("=", 1) for a in args["default-resources"])
    # Quoted, so that Snakemake's resource parser keeps "all" a string (not the builtin).
    assert defaults["slurm_partition"] == "'all'"
    assert defaults["slurm_account"] == "'proj-1'"
    assert not {"gpu", "gpu_model", "gres"} & set(defaults)
    assert sorted(args["set-resources"]) == sorted(
        f"{rule}:{key}={value}"
        for rule in GPU_RULES
        for key, value in (("slurm_partition", "'gpu'"), ("gpu_model", "'a100'"))
    )


def dry_run_jobs(stdout: str) -> list[tuple[str, str]]:
    """(rule, resources line) of every job a dry run prints."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", stdout):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        res = re.search(r"^\s+resources: (.*)$", block, re.M)
        if rule and res:
            jobs.append((rule.group(1), res.group(1)))
    return jobs


def test_dry_run_with_the_profile_plans_gpu_jobs(tmp_path):
    pytest.importorskip("snakemake_executor_plugin_slurm")
    shutil.copy(REPO / "params.yaml", tmp_path)  # the paper grid; a dry run needs no data
    env = clean_env()
    out = subprocess.run(
        [
            "timeout",
            "-k",
            "10",
            "300",
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--workflow-profile",
            str(PROFILE),
            "--directory",
            str(tmp_path),
            "--snakefile",
            str(REPO / "Snakefile"),
            "--config",
            "preflight=False",  # no data here: plan the grid only
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=320,
    )
    assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-3000:]
    # Only this profile: an implicit profiles/default would override its keys one by one.
    assert f"workflow specific profile {PROFILE} " in out.stderr, out.stderr[:500]
    jobs = dry_run_jobs(out.stdout)
    rules = {rule for rule, _ in jobs}
    assert rules >= GPU_RULES | SLURM_RULES | LOCAL_RULES
    from zsiw import plan

    n_cells = len(plan.cells(yaml.safe_load((REPO / "params.yaml").read_text())))
    assert sum(rule == "train" for rule, _ in jobs) == n_cells  # each also tests its cell
    for rule, res in jobs:
        if rule in GPU_RULES:
            assert re.search(r"\bgpu=1\b", res), (rule, res)
        else:
            assert "gpu" not in res, (rule, res)
    tokenise = next(res for rule, res in jobs if rule == "tokenise")
    assert "mem_mb=4000" in tokenise and "runtime=60" in tokenise  # the profile's defaults
    train = next(res for rule, res in jobs if rule == "train")
    assert "mem_mb=16000" in train and "runtime=240" in train  # params.yaml resources.train


# --- the real run on the local cluster --------------------------------------------------------


def _run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def local_slurm():
    """A running one-node SLURM cluster (partition debug, 2 fake GPUs); stopped afterwards."""
    start = SLURM_DIR / "start-local-slurm"
    if not start.is_file():
        pytest.skip(f"no local SLURM scripts: {SLURM_DIR} is absent")
    if os.geteuid() != 0:
        pytest.skip("start-local-slurm needs root (it installs and starts slurmctld/slurmd)")
    pytest.importorskip("snakemake_executor_plugin_slurm")
    # The shared copy may lack exec bits: always call it through bash.
    out = subprocess.run(
        ["bash", str(start)], check=False, capture_output=True, text=True, timeout=600
    )
    if out.returncode != 0:
        pytest.skip(
            f"start-local-slurm failed (rc {out.returncode}): {(out.stdout + out.stderr)[-1500:]}"
        )
    yield
    subprocess.run(
        ["bash", str(SLURM_DIR / "stop-local-slurm")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def scontrol_job(jobid: str) -> str:
    return _run(["scontrol", "show", "job", "-o", jobid], timeout=30).stdout


@pytest.mark.slurm
@pytest.mark.slow
def test_reduced_grid_runs_on_slurm_with_gpu_requests(local_slurm, tmp_path):
    from snakemake.utils import update_config

    from zsiw import plan

    work = tmp_path / "work"
    work.mkdir()
    # The Snakefile reads params.yaml from the working directory; outputs land under `work`.
    shutil.copy(REPO / "params.yaml", work)
    test_cfg = tmp_path / "slurm-test.yaml"
    test_cfg.write_text(yaml.safe_dump(TEST_CONFIG, sort_keys=False))

    # The merged configuration must pass the schema (Snakemake checks it too, but later).
    cfg: dict = {}
    for path in (REPO / "params.yaml", REPO / "config" / "demo.yaml", test_cfg):
        update_config(cfg, yaml.safe_load(path.read_text()))
    schema = yaml.safe_load((REPO / "workflow/schemas/params.schema.yaml").read_text())
    jsonschema.validate(cfg, schema)

    env = clean_env()
    # Jobs inherit this environment (sbatch --export=ALL): their shells find `zsiw` on PATH.
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    # Partition through the documented variables (the user profile turns them into resources).
    env["SBATCH_PARTITION"] = "debug"
    env["ZSIW_SLURM_GPU_PARTITION"] = "debug"
    env["ZSIW_NO_PROGRESS"] = "1"

    cmd = [
        "timeout",
        "-k",
        "10",
        "540",
        sys.executable,
        "-m",
        "snakemake",
        "--workflow-profile",
        str(PROFILE),
        *LOCAL_CLUSTER_ARGS,
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(REPO / "config" / "demo.yaml"),
        str(test_cfg),
    ]
    started = time.monotonic()
    out = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - started
    log = out.stdout + out.stderr
    (tmp_path / "snakemake.log").write_text(log)
    assert out.returncode == 0, (
        f"snakemake rc {out.returncode} after {elapsed:.0f} s:\n{log[-6000:]}"
    )

    # Every table and every cell's metrics, inside the tmp working directory.
    for i in range(1, 6):
        assert (work / f"results/tables/table{i}.tex").is_file(), i
    metrics = plan.all_metrics_paths(cfg)
    assert len(metrics) == 2  # ote none (en-all) and ote cosine (en-es)
    for path in metrics:
        assert (work / path).is_file(), path
    assert not list(work.glob("results/runs/**/checkpoint.pt"))  # finished cells drop it
    assert f"workflow specific profile {PROFILE} " in log, log[:500]
    # $SBATCH_PARTITION / $ZSIW_SLURM_GPU_PARTITION became the jobs' slurm_partition resource.
    resources = re.findall(r"^\s+resources: (.*)$", log, re.M)
    assert resources and all("slurm_partition=debug" in r for r in resources), resources

    # The jobs went through sbatch: the plugin logs one SLURM job id per submitted job.
    jobids = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    assert jobids, log[-3000:]
    jobs = {}
    for jobid in jobids:
        info = scontrol_job(jobid)
        rule = re.search(r"\bComment=rule_(\w+?)(?:_wildcards_|\s|$)", info)
        assert rule, info
        jobs[jobid] = (rule.group(1), info)
    submitted = [rule for rule, _ in jobs.values()]
    assert set(submitted) == SLURM_RULES, submitted
    assert not LOCAL_RULES & set(submitted)  # local rules run in snakemake's own process
    # Every job the run executed either went through sbatch or is a local rule.
    executed = re.findall(r"^(?:local)?rule (\w+):", log, re.M)
    local = re.findall(r"^localrule (\w+):", log, re.M)
    assert len(executed) == len(jobids) + len(local), (executed, submitted)
    assert submitted.count("train") == 2

    evidence = []
    for jobid, (rule, info) in sorted(jobs.items(), key=lambda kv: int(kv[0])):
        fields = [
            m.group(0)
            for key in ("Partition", "CPUs/Task", "TimeLimit", "TRES", "TresPerJob", "Comment")
            if (m := re.search(rf"\b{re.escape(key)}=\S*", info))
        ]
        evidence.append(f"{jobid} {rule}: " + " ".join(fields))
    (tmp_path / "slurm-jobs.txt").write_text("\n".join(evidence) + "\n")
    print(f"snakemake on SLURM took {elapsed:.0f} s; jobs:", *evidence, sep="\n")

    for jobid, (rule, info) in jobs.items():
        assert "JobState=COMPLETED" in info, (jobid, rule, info)
        assert re.search(r"\bPartition=debug\b", info), (jobid, rule, info)
        gpu = re.search(r"\bTresPerJob=\S*gpu\S*", info)  # sbatch --gpus=1 -> gres:gpu:1
        if rule in GPU_RULES:
            assert gpu and gpu.group(0).endswith("gpu:1"), (jobid, rule, info)
        else:
            assert gpu is None, (jobid, rule, info)
        if rule == "train":  # resources.train.threads of the test config
            assert re.search(r"\bCPUs/Task=2\b", info), (jobid, rule, info)


REQUEUE_CONFIG = {
    **TEST_CONFIG,
    "methods": ["cosine"],
    "tasks": {
        **TEST_CONFIG["tasks"],
        # long enough (several epochs of a few seconds) to requeue the job after a checkpoint
        "ote": {**TEST_CONFIG["tasks"]["ote"], "train": {"max_length": 32, "epochs": 6}},
    },
    "data": {"demo_train": 64, "demo_test": 8},
    "train": {**TEST_CONFIG["train"], "log_every": 1},
}
REQUEUE_CELL = "results/runs/ote/zsiw-test--tiny-xlmr/cosine/en-es/seed1"


def _outcome(run: Path) -> dict:
    import json

    train = json.loads((run / "train.json").read_text())
    return {
        "metrics": json.loads((run / "metrics.json").read_text()),
        "dev": train["source_dev_history"],
        "steps": train["steps"],
        "predictions": (run / "predictions/es.jsonl").read_text(),
    }


@pytest.mark.slurm
@pytest.mark.slow
def test_a_requeued_train_job_resumes_and_ends_like_an_uninterrupted_run(local_slurm, tmp_path):
    """Issue 20: SLURM requeues a train job mid-run (`scontrol requeue`, as preemption does);
    the same job id starts again, `zsiw train` resumes from its checkpoint, and the cell ends
    with the metrics of a run that was never interrupted."""
    env = clean_env()
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SBATCH_PARTITION"] = env["ZSIW_SLURM_GPU_PARTITION"] = "debug"
    env["ZSIW_NO_PROGRESS"] = "1"
    cfg = tmp_path / "requeue.yaml"
    cfg.write_text(yaml.safe_dump(REQUEUE_CONFIG, sort_keys=False))
    target = f"{REQUEUE_CELL}/metrics.json"
    common = ["--snakefile", str(REPO / "Snakefile"), "--configfile"]
    common += [str(REPO / "config/demo.yaml"), str(cfg)]

    reference = tmp_path / "reference"
    reference.mkdir()
    shutil.copy(REPO / "params.yaml", reference)
    done = _run(
        [
            sys.executable,
            "-m",
            "snakemake",
            target,
            "--cores",
            "2",
            *common,
            "--directory",
            str(reference),
        ],
        cwd=reference,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(REPO / "params.yaml", work)
    proc = subprocess.Popen(
        [
            "timeout",
            "-k",
            "10",
            "900",
            sys.executable,
            "-m",
            "snakemake",
            target,
            "--workflow-profile",
            str(PROFILE),
            *LOCAL_CLUSTER_ARGS,
            *common,
            "--directory",
            str(work),
        ],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    checkpoint, requeued = work / REQUEUE_CELL / "checkpoint.pt", None
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline and requeued is None:
        if checkpoint.exists():
            queue = _run(["squeue", "-h", "-o", "%i %k"], timeout=30).stdout
            ids = [line.split()[0] for line in queue.splitlines() if "rule_train" in line]
            if ids:
                assert _run(["scontrol", "requeue", ids[0]], timeout=30).returncode == 0
                requeued = ids[0]
        time.sleep(0.2)
    log, _ = proc.communicate(timeout=900)
    (tmp_path / "snakemake.log").write_text(log)
    assert requeued, "no train job was seen with a checkpoint\n" + log[-3000:]
    assert proc.returncode == 0, log[-6000:]
    assert re.search(r"\bRestarts=1\b", scontrol_job(requeued)), scontrol_job(requeued)
    job_log = (work / "logs/train/ote/zsiw-test--tiny-xlmr/cosine/en-es/seed1.log").read_text()
    assert "resumed from" in job_log
    assert _outcome(work / REQUEUE_CELL) == _outcome(reference / REQUEUE_CELL)
