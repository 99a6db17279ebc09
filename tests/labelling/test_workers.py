"""Labelling in worker processes: the same labels as one process, and a killed run resumes."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from labelling.run import run_labelling
from prodseg.journal import Journal
from tests.conftest import make_settings

REPO = Path(__file__).resolve().parents[2]
# GrabCut at full resolution: slow enough per image that a kill lands mid-run.
SLOW = {"labeller": "grabcut", "grabcut": {"work_size": 512}}


def _settings(root, crawled_data, faulty_shop, **label):
    if not (root / "data" / "raw").exists():
        shutil.copytree(crawled_data / "raw", root / "data" / "raw")
    return make_settings(root, faulty_shop, label={**SLOW, **label})


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, crawled_data, faulty_shop):
    """A clean, uninterrupted two-worker run: what one process must match and a killed run must resume to."""
    return run_labelling(_settings(tmp_path_factory.mktemp("two"), crawled_data, faulty_shop, workers=2),
                         progress=False)


@pytest.mark.slow
def test_two_workers_label_exactly_as_one_process(tmp_path, crawled_data, faulty_shop, two_workers):
    one = run_labelling(_settings(tmp_path / "one", crawled_data, faulty_shop, workers=1), progress=False)
    two = two_workers
    first = pd.read_parquet(one.labels_path)
    second = pd.read_parquet(two.labels_path)
    pd.testing.assert_frame_equal(first, second)
    assert two.labelled_now == one.labelled_now == len(first) > 10


@pytest.mark.slow
def test_a_killed_parallel_run_leaves_no_workers_and_resumes_to_the_same_labels(tmp_path, crawled_data, faulty_shop,
                                                                                two_workers):
    s = _settings(tmp_path / "killed", crawled_data, faulty_shop)
    env = {**os.environ, "PRODSEG__LABEL__WORKERS": "2", "PRODSEG__LABEL__LABELLER": "grabcut",
           "PRODSEG__LABEL__GRABCUT__WORK_SIZE": "512"}
    cmd = [sys.executable, "-m", "commands.cli", "--var", str(s.var_dir), "--data", str(s.data_dir),
           "--set", f"paths.shop={s.shop_dir}", "label"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal, deadline = s.label_journal_path, time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and len(journal.read_text().splitlines()) >= 3:
            break
        time.sleep(0.02)
    workers = _children(proc.pid)
    assert proc.poll() is None and len(workers) >= 2, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done = len(Journal(journal).records())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers), "labelling workers outlived their killed parent"

    resumed = run_labelling(make_settings(s.var_dir.parent, s.shop_dir, label={**SLOW, "workers": 2}), progress=False)
    total = len(pd.read_parquet(s.catalog_path))
    assert 0 < done < total and resumed.labelled_now == total - done
    pd.testing.assert_frame_equal(pd.read_parquet(resumed.labels_path),
                                  pd.read_parquet(two_workers.labels_path))
