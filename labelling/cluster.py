"""Labelling on Dask distributed: the driver reads images and writes results, workers only compute.

Each worker loads the teacher once (``TeacherPlugin``), gets image bytes plus the catalog class, and
sends back the table fields and the mask. Nothing on a worker touches ``data/`` or the journal, so
workers on other machines need no shared filesystem and a killed run resumes from the journal.

A bounded window of images is in flight (``label.cluster.max_in_flight``): memory stays flat however
big the catalog. The scheduler re-runs the images of a worker that died on another worker; an image
whose task killed more than ``allowed-failures`` workers comes back as a ``KilledWorker`` and is
rejected (``worker_died``) instead of being retried forever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dask
from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker
from distributed.scheduler import KilledWorker

from prodseg.settings import LabelConfig

log = logging.getLogger(__name__)
PLUGIN = "prodseg-teacher"


@dataclass(frozen=True)
class Engine:
    """Where labelling ran: shown in the log and the asset metadata."""
    kind: str      # in-process | local-cluster | cluster
    address: str   # the scheduler's address ("" in-process)
    workers: int   # worker processes when labelling started
    threads: int   # images labelled at once


class TeacherPlugin(WorkerPlugin):
    """One teacher per worker, built from a config ``resolve_labeller`` already made concrete."""
    idempotent = True  # a worker that joins later gets it too; re-registering is a no-op

    def __init__(self, config: dict):
        self.config = config
        self.labeller = None

    def setup(self, worker) -> None:
        import cv2

        from labelling.choose import build_labeller

        cv2.setNumThreads(1)  # one image per worker thread already uses the cores
        self.cfg = LabelConfig.model_validate(self.config)
        self.labeller = build_labeller(self.cfg)


def _label_bytes(data: bytes, category: str | None):
    """Runs on a worker: (table fields, mask or None) for one image's bytes."""
    from labelling.workers import label_image

    plugin = get_worker().plugins[PLUGIN]
    return label_image(data, category, plugin.labeller, plugin.cfg)


@contextmanager
def connect(config: LabelConfig, workers: int) -> Iterator[tuple[Client, Engine]]:
    """A client on ``label.cluster.address``, or on a local cluster of ``workers`` processes."""
    cc = config.cluster
    if cc.address:
        client = Client(cc.address, timeout=cc.connect_timeout_s, set_as_default=False)
        try:
            client.wait_for_workers(1, timeout=cc.connect_timeout_s)
            info = client.scheduler_info(n_workers=-1)["workers"].values()
            yield client, Engine("cluster", cc.address, len(info), sum(w["nthreads"] for w in info))
        finally:
            client.close()
        return
    resources = {"GPU": cc.gpus_per_task} if cc.gpus_per_task else None
    with dask.config.set({"distributed.scheduler.allowed-failures": cc.allowed_failures}):
        with LocalCluster(n_workers=workers, threads_per_worker=cc.threads_per_worker, processes=True,
                          host="127.0.0.1", dashboard_address=None, resources=resources,
                          silence_logs=logging.WARNING) as cluster, \
                Client(cluster, set_as_default=False) as client:
            yield client, Engine("local-cluster", cluster.scheduler_address, workers,
                                 workers * cc.threads_per_worker)


def label_on_cluster(tasks: Iterable[tuple[str, Path, str | None]], config: LabelConfig, client: Client,
                     engine: Engine) -> Iterator[tuple[str, dict, object]]:
    """(key, fields, mask) per task as they finish, at most ``max_in_flight`` images out at once."""
    client.register_plugin(TeacherPlugin(config.model_dump()), name=PLUGIN)
    window = config.cluster.max_in_flight or 2 * max(engine.threads, 1)
    resources = {"GPU": config.cluster.gpus_per_task} if config.cluster.gpus_per_task else None
    keys: dict = {}  # future -> task key
    stream = iter(tasks)

    def send() -> bool:
        for key, path, category in stream:
            try:
                data = path.read_bytes()  # the driver reads; workers need no access to data/
            except FileNotFoundError:
                local.append((key, {"reason": "missing", "detail": str(path), "score": 0.0}, None))
                continue
            future = client.submit(_label_bytes, data, category, pure=False, resources=resources,
                                   key=f"label-{key}-{time.monotonic_ns()}")
            keys[future] = key
            pending.add(future)
            return True
        return False

    local: list = []
    pending = as_completed(loop=client.loop)
    while len(keys) < window and send():
        pass
    yield from local
    local.clear()
    for future in pending:
        key = keys.pop(future)
        if future.status == "error":
            exc = future.exception()
            if not isinstance(exc, KilledWorker):
                raise exc  # label_image catches the teacher's errors: anything else is a bug or a broken worker
            log.warning("image %s killed workers, rejected: %s", key, exc)
            fields, mask = {"reason": "worker_died", "detail": str(exc), "score": 0.0}, None
        else:
            fields, mask = future.result()
        future.release()
        send()
        yield from local
        local.clear()
        yield key, fields, mask
