"""Labelling on a real Dask cluster: a scheduler and two workers as separate OS processes on 127.0.0.1,
started here as they would be on two machines, the labelling pointed at them by address."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dask
import pandas as pd
import pytest
from distributed import Client
from PIL import Image

from labelling.run import run_labelling
from labelling.workers import label_many
from prodseg.fileio import sha256_bytes
from prodseg.journal import Journal
from tests.conftest import make_settings
from tests.labelling.faulty_teacher import CYAN, MAGENTA

REPO = Path(__file__).resolve().parents[2]
DASK = str(Path(sys.executable).with_name("dask"))


def _start(args: list[str], tmp: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = open(tmp / f"{name}.log", "wb")
    return subprocess.Popen([DASK, *args], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(scheduler address, the two worker processes); the workers fail on all-magenta images."""
    tmp = tmp_path_factory.mktemp("dask")
    file = tmp / "scheduler.json"
    procs = [_start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(file)], tmp, "scheduler")]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [_start(["worker", "--scheduler-file", str(file), "--nthreads", "1", "--no-nanny",
                           "--no-dashboard", "--host", "127.0.0.1", "--preload", "tests.labelling.faulty_teacher"],
                          tmp, f"worker{i}") for i in range(2)]
        procs += workers
        address = json.loads(file.read_text())["address"]
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _settings(root, crawled_data, faulty_shop, **label):
    shutil.copytree(crawled_data / "raw", root / "data" / "raw")
    return make_settings(root, faulty_shop, label={"labeller": "grabcut", **label})


def test_a_two_worker_cluster_labels_exactly_as_one_process(tmp_path, crawled_data, faulty_shop, cluster):
    address, _ = cluster
    seen = []
    remote = run_labelling(_settings(tmp_path / "remote", crawled_data, faulty_shop,
                                     cluster={"address": address, "progress_every_s": 0}),
                           progress=False, on_progress=seen.append)
    local = run_labelling(_settings(tmp_path / "local", crawled_data, faulty_shop, workers=1), progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(remote.labels_path), pd.read_parquet(local.labels_path))
    assert remote.engine["kind"] == "cluster" and remote.engine["workers"] == 2 and remote.images_per_s > 0
    assert [p.done for p in seen] == list(range(1, remote.labelled_now + 1)) and seen[-1].eta_s == 0


def _plant(s, colour, rows: int | None = None) -> str:
    """The first catalog row made to point at a plain ``colour`` image (catalog cut to ``rows``); its sha."""
    catalog = pd.read_parquet(s.catalog_path).head(rows)
    path = s.raw_dir / catalog.loc[0, "image_path"]
    Image.new("RGB", (64, 64), colour).save(path, format="PNG")
    catalog.loc[0, "image_sha256"] = sha256_bytes(path.read_bytes())
    catalog.to_parquet(s.catalog_path)
    return catalog.loc[0, "image_sha256"]


def test_a_teacher_error_on_one_image_rejects_that_image_with_the_reason(tmp_path, crawled_data, faulty_shop,
                                                                          cluster):
    s = _settings(tmp_path, crawled_data, faulty_shop, cluster={"address": cluster[0]})
    bad = _plant(s, MAGENTA)
    labels = pd.read_parquet(run_labelling(s, progress=False).labels_path).set_index("image_sha256")
    assert labels.loc[bad, "reason"] == "labeller_error" and "cannot label magenta" in labels.loc[bad, "detail"]
    assert labels.drop(bad)["reason"].ne("labeller_error").all() and labels.drop(bad)["mask_path"].notna().sum() > 5


def test_an_image_that_kills_workers_is_rejected_not_retried_forever(tmp_path, crawled_data, faulty_shop):
    # The default local cluster (no address), its worker processes preloading the faulty teacher. One image
    # in flight at a time, so the dying workers hold no other image (those would be retried as well).
    s = _settings(tmp_path, crawled_data, faulty_shop, workers=2,
                  cluster={"allowed_failures": 1, "max_in_flight": 1})
    bad = _plant(s, CYAN, rows=4)
    with dask.config.set({"distributed.worker.preload": ["tests.labelling.faulty_teacher"]}):
        report = run_labelling(s, progress=False)
    labels = pd.read_parquet(report.labels_path).set_index("image_sha256")
    assert labels.loc[bad, "reason"] == "worker_died" and "killed" in labels.loc[bad, "detail"].lower()
    assert (labels.drop(bad)["reason"] != "worker_died").all() and report.engine["kind"] == "local-cluster"


def test_no_more_than_max_in_flight_images_are_read_ahead(tmp_path, crawled_data, faulty_shop, cluster):
    s = _settings(tmp_path, crawled_data, faulty_shop, cluster={"address": cluster[0], "max_in_flight": 3})
    catalog = pd.read_parquet(s.catalog_path).head(12)
    read, ahead = [], []

    def tasks():  # counts the images the driver has taken (and read) so far
        for row in catalog.itertuples():
            read.append(row.image_sha256)
            yield row.image_sha256, s.raw_dir / row.image_path, row.class_name if isinstance(row.class_name, str) else None

    done = 0
    for _ in label_many(tasks(), s.config.label, workers=2):
        done += 1
        ahead.append(len(read) - done)
    assert done == len(catalog) and max(ahead) == 3


def test_a_worker_killed_mid_run_loses_no_image(tmp_path, crawled_data, faulty_shop, cluster):
    # Runs last in this module: it leaves the cluster one worker short.
    address, workers = cluster
    s = _settings(tmp_path, crawled_data, faulty_shop, grabcut={"work_size": 512},  # slow enough to kill mid-run
                  cluster={"address": address, "progress_every_s": 0})

    def kill_one(progress):
        if progress.done == 3:
            workers[0].send_signal(signal.SIGKILL)

    report = run_labelling(s, progress=False, on_progress=kill_one)
    assert workers[0].wait(timeout=10) == -signal.SIGKILL
    shas = [r["image_sha256"] for r in Journal(s.label_journal_path).records()]
    total = pd.read_parquet(s.catalog_path)["image_sha256"].nunique()
    assert len(shas) == len(set(shas)) == total == report.labelled_now
    assert (pd.read_parquet(report.labels_path)["reason"] != "worker_died").all()

