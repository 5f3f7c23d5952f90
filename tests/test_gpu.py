import multiprocessing as mp
import os
import time

import pytest

from zsiw.gpu import claim_device, claim_slot


def test_two_concurrent_claims_get_different_slots(tmp_path):
    with claim_slot(2, directory=tmp_path) as first, claim_slot(2, directory=tmp_path) as second:
        assert {first, second} == {0, 1}


def test_claim_waits_then_times_out_when_all_slots_taken(tmp_path):
    with (
        claim_slot(1, directory=tmp_path),
        pytest.raises(TimeoutError, match="no free GPU slot"),
        claim_slot(1, directory=tmp_path, wait=0.2, poll=0.05),
    ):
        pass


def _hold_and_crash(directory, started):
    with claim_slot(1, directory=directory):
        started.set()
        time.sleep(30)


def test_crashed_holder_releases_its_slot(tmp_path):
    ctx = mp.get_context("fork")
    started = ctx.Event()
    proc = ctx.Process(target=_hold_and_crash, args=(tmp_path, started))
    proc.start()
    assert started.wait(10)
    with pytest.raises(TimeoutError), claim_slot(1, directory=tmp_path, wait=0.1, poll=0.05):
        pass
    os.kill(proc.pid, 9)  # SIGKILL: no cleanup code runs in the holder
    proc.join()
    with claim_slot(1, directory=tmp_path, wait=2, poll=0.05) as slot:
        assert slot == 0


def test_cpu_setting_claims_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("ZSIW_GPU_LOCK_DIR", str(tmp_path))
    with claim_device("cpu") as device:
        assert device == "cpu"
    assert not list(tmp_path.iterdir())
