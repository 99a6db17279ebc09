"""One writer per data folder: real processes holding and waiting for the lock, and two real
`prodseg label` runs at once."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from prodseg.locks import LOCK_NAME, Busy, exclusive
from prodseg.settings import REPO_ROOT
from tests.pipelines.tiny import clean_environ

HOLDER = """import sys, time
from pathlib import Path
from prodseg.locks import exclusive
with exclusive(Path(sys.argv[1]), "the holder", 0, "test.wait"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(lock: Path, seconds: float) -> subprocess.Popen:
    """A process that holds ``lock`` for ``seconds`` (returned once it holds it)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), str(seconds)], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_held_lock_refuses_naming_its_holder_and_is_free_once_the_holder_is_killed(tmp_path):
    lock = tmp_path / LOCK_NAME
    holder = hold(lock, 600)
    try:
        with pytest.raises(Busy, match=rf"the holder \(pid {holder.pid}, since .*waited 0s, test.wait"):
            with exclusive(lock, "me", 0, "test.wait"):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with exclusive(lock, "me", 0, "test.wait"):   # the kernel dropped the dead holder's lock: nothing stale
        assert f"me (pid {os.getpid()}" in lock.read_text()


def test_a_second_writer_waits_for_the_first_to_finish(tmp_path):
    lock = tmp_path / LOCK_NAME
    holder = hold(lock, 2)
    start = time.monotonic()
    with exclusive(lock, "me", 120, "test.wait"):
        assert holder.poll() is not None or holder.wait(timeout=5) == 0
        assert time.monotonic() - start > 1
    assert lock.read_text() == ""   # a released lock names no holder


def label_env(tmp_path: Path, faulty_shop: Path, **extra: str) -> dict[str, str]:
    return {**clean_environ(), "PRODSEG_VAR": str(tmp_path / "var"), "PRODSEG_DATA": str(tmp_path / "data"),
            "PRODSEG__PATHS__SHOP": str(faulty_shop), "PRODSEG__LABEL__LABELLER": "grabcut",
            "PRODSEG__LABEL__WORKERS": "1", **extra}


def prodseg_label(env: dict[str, str], **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "commands.cli", "label"], cwd=REPO_ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=lambda: os.umask(0o027),
                            **popen)


@pytest.mark.slow
def test_two_label_runs_at_once_label_each_image_once(tmp_path, crawled_data, faulty_shop):
    shutil.copytree(crawled_data / "raw", tmp_path / "data" / "raw")
    env = label_env(tmp_path, faulty_shop)
    first = prodseg_label(env)
    lock = tmp_path / "data" / LOCK_NAME
    deadline = time.monotonic() + 120
    while not (lock.exists() and f"pid {first.pid}" in lock.read_text()):
        assert first.poll() is None and time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.1)

    refused = prodseg_label(env)                                            # runs.lock_wait_s: 0
    waiting = prodseg_label(label_env(tmp_path, faulty_shop, PRODSEG__RUNS__LOCK_WAIT_S="600"))
    _, refused_err = refused.communicate(timeout=120)
    _, first_err = first.communicate(timeout=600)
    waiting_out, waiting_err = waiting.communicate(timeout=600)

    assert first.returncode == 0, first_err[-3000:]
    assert refused.returncode == 1
    assert f"is being written by prodseg label (pid {first.pid}, since" in refused_err, refused_err
    assert "Traceback" not in refused_err
    assert waiting.returncode == 0, waiting_err[-3000:]
    assert "waiting up to 600s for" in waiting_err    # started while the first run labelled
    assert "0 labelled now" in waiting_out            # the first run's labels, not a second labelling
    journal = (tmp_path / "var" / "labels" / "journal.jsonl").read_text().splitlines()
    labels = pd.read_parquet(tmp_path / "data" / "labels" / "labels.parquet")
    assert len(journal) == len(labels) == labels["image_sha256"].nunique() > 0
    # Written under umask 027: readable by the group (a container's reader), not by others.
    outputs = [tmp_path / "data" / "labels" / name for name in ("labels.parquet", "coco.json", "review.html")]
    outputs.append(next((tmp_path / "data" / "labels" / "masks").iterdir()))
    assert {p.stat().st_mode & 0o777 for p in outputs} == {0o640}
