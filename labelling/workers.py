"""Labelling one image, and a process pool that labels many: workers compute, the caller writes.

Each worker loads the labeller once (``resolve_labeller`` already fetched weights and settled any
fallback, so workers do not decide again). Results come back as they finish; the caller alone
writes masks and the journal, so resume and atomic writes stay where they are.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

import cv2
import numpy as np

from labelling.choose import build_labeller
from labelling.instances import select_product
from labelling.load import ImageUnusable, load_rgb
from prodseg.settings import LabelConfig

log = logging.getLogger(__name__)

Task = tuple[str, Path, str | None]          # (key the caller knows it by, image path, catalog class)
Result = tuple[str, dict, np.ndarray | None]  # (key, table fields, product mask or None)


def label_image(image_path: Path, category: str | None, labeller, cfg: LabelConfig) -> tuple[dict, np.ndarray | None]:
    """Label one image: (table fields, product mask or None). Never raises for a bad image."""
    try:
        image = load_rgb(image_path, cfg.min_side, cfg.max_pixels)
    except ImageUnusable as exc:
        return {"reason": exc.reason, "detail": exc.detail, "score": 0.0}, None
    try:
        instances = labeller.label(image, category)
    except Exception as exc:  # one image must not end the run
        log.warning("labeller failed on %s: %r", image_path, exc)
        return {"reason": "labeller_error", "detail": repr(exc), "score": 0.0}, None
    chosen = select_product(instances, category, cfg.min_score)
    if chosen is None:
        return {"reason": "no_instance", "detail": f"{len(instances)} instances, none usable", "score": 0.0}, None
    class_name = chosen.class_name or category
    x0, y0, x1, y1 = chosen.box
    fields = {"class_name": class_name, "score": round(chosen.score, 4), "area_frac": round(chosen.area / chosen.mask.size, 5),
              "box_x0": x0, "box_y0": y0, "box_x1": x1, "box_y1": y1,
              "width": image.shape[1], "height": image.shape[0], "reason": None, "detail": None,
              "teacher": chosen.source or labeller.name, "agreement": chosen.agreement}
    if class_name is None:
        fields.update(reason="unknown_class", detail="no catalog class and no class from the labeller")
    return fields, chosen.mask


_worker: tuple | None = None  # (labeller, config) of this worker process


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent died (even by SIGKILL) exits instead of labelling on for nobody."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _init_worker(config: dict, parent: int) -> None:
    global _worker
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    cv2.setNumThreads(1)  # one process per core already
    cfg = LabelConfig.model_validate(config)
    _worker = (build_labeller(cfg), cfg)


def _label_task(task: Task) -> Result:
    key, path, category = task
    labeller, cfg = _worker
    fields, mask = label_image(path, category, labeller, cfg)
    return key, fields, mask


def label_many(tasks: Iterable[Task], config: LabelConfig, workers: int, labeller=None) -> Iterator[Result]:
    """Results in the order they finish. ``workers`` 1 labels in this process with ``labeller``
    (built here if None); more start that many worker processes, at most 2 tasks each in flight."""
    if workers <= 1:
        labeller = labeller or build_labeller(config)
        for key, path, category in tasks:
            yield key, *label_image(path, category, labeller, config)
        return
    # spawn, not fork: the caller may hold TensorFlow, Dagster or onnxruntime threads that fork would copy.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(config.model_dump(), os.getpid())) as pool:
        pending: set[Future] = set()
        for task in tasks:
            pending.add(pool.submit(_label_task, task))
            if len(pending) >= 2 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)
