"""The data stage on the real benchmark copies in ../shared/data (skips when absent)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not (DATA / "semeval2016").is_dir(), reason="../shared/data is absent"),
]

SEMEVAL = {
    "en": (2000, 676),
    "es": (2070, 881),
    "fr": (1733, 694),
    "nl": (1722, 575),
    "ru": (3655, 1209),
    "tr": (1232, 144),
}


def snakemake(workdir: Path, *args: str) -> str:
    out = subprocess.run(
        [
            "snakemake",
            *args,
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(workdir),
            "--cores",
            "2",
            "--configfile",
            str(workdir / "real.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout + out.stderr


def write_config(workdir: Path, webis: Path) -> None:
    cfg = {
        "encoders": ["zsiw-test/tiny-xlmr"],
        # multi-source cells would use params.yaml's XLM-R, which the preflight wants present
        "tasks": {"mldoc": {"enabled": False}, "ote": {"multi_source": {"enabled": False}}},
        "data": {
            "mode": "real",
            "sources": {
                "semeval2016": {"path": str(DATA / "semeval2016")},
                "webis-cls-10": {"path": str(webis)},
            },
        },
    }
    (workdir / "real.yaml").write_text(yaml.safe_dump(cfg))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("real")
    shutil.copy(REPO / "params.yaml", workdir)
    write_config(workdir, DATA / "webis-cls-10")
    snakemake(workdir, "data_all")
    return workdir


def stats(workdir: Path, task: str, lang: str) -> dict:
    return json.loads((workdir / "data/processed" / task / lang / "stats.json").read_text())


def test_all_semeval_languages_with_official_counts(built):
    for lang, (train, test) in SEMEVAL.items():
        s = stats(built, "ote", lang)["splits"]
        files = {k: v for split in s.values() for k, v in split["files"].items()}
        n_train = sum(v["sentences"] for k, v in files.items() if not k.endswith("test.xml"))
        assert (n_train, files[f"{lang}/test.xml"]["sentences"]) == (train, test), lang


def test_all_twelve_cls_cells_balanced(built):
    for domain in ("books", "dvd", "music"):
        for lang in ("en", "de", "fr", "ja"):
            s = stats(built, f"cls-{domain}", lang)["splits"]
            for split in ("train", "test"):
                assert s[split]["rows"] == 2000, (domain, lang, split)
                assert s[split]["labels"] == {"negative": 1000, "positive": 1000}


def test_changing_one_source_reruns_only_its_jobs(built, tmp_path):
    copy = tmp_path / "webis-copy"
    shutil.copytree(DATA / "webis-cls-10", copy)
    write_config(built, copy)
    try:
        plan = snakemake(built, "-n", "data_all")
    finally:
        write_config(built, DATA / "webis-cls-10")
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", plan, re.M))
    assert counts == {"obtain_raw": "1", "prepare_dataset": "12", "data_all": "1", "total": "14"}
    assert "dataset=webis-cls-10" in plan and "dataset=semeval2016" not in plan
