"""Labelling one image, and labelling many (in this process or on a Dask cluster): workers compute,
the caller writes.

Each worker loads the labeller once (``resolve_labeller`` already fetched weights and settled any
fallback, so workers do not decide again). Results come back as they finish; the caller alone
writes masks and the journal, so resume and atomic writes stay where they are.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from labelling.choose import build_labeller
from labelling.features import mask_features
from labelling.instances import select_product
from prodseg.images import ImageRejected, load_rgb
from prodseg.settings import LabelConfig

if TYPE_CHECKING:  # labelling.cluster imports Dask: only when a cluster labels
    from labelling.cluster import Engine

log = logging.getLogger(__name__)

Task = tuple[str, Path, str | None]          # (key the caller knows it by, image path, catalog class)
Result = tuple[str, dict, np.ndarray | None]  # (key, table fields, product mask or None)


def label_image(source: Path | bytes, category: str | None, labeller, cfg: LabelConfig) -> tuple[dict, np.ndarray | None]:
    """Label one image (a path, or its bytes as a cluster worker gets them): (table fields, product mask
    or None). Never raises for a bad image."""
    try:
        image = load_rgb(io.BytesIO(source) if isinstance(source, bytes) else source, cfg.min_side, cfg.max_pixels)
    except ImageRejected as exc:
        return {"reason": exc.reason, "detail": exc.detail, "score": 0.0}, None
    try:
        instances = labeller.label(image, category)
    except Exception as exc:  # one image must not end the run
        log.warning("labeller failed on %s: %r", source if isinstance(source, Path) else "an image", exc)
        return {"reason": "labeller_error", "detail": repr(exc), "score": 0.0}, None
    chosen = select_product(instances, category, cfg.min_score)
    if chosen is None:
        return {"reason": "no_instance", "detail": f"{len(instances)} instances, none usable", "score": 0.0}, None
    class_name = chosen.class_name or category
    x0, y0, x1, y1 = chosen.box
    fields = {"class_name": class_name, "score": round(chosen.score, 4), "area_frac": round(chosen.area / chosen.mask.size, 5),
              "box_x0": x0, "box_y0": y0, "box_x1": x1, "box_y1": y1,
              "width": image.shape[1], "height": image.shape[0], "reason": None, "detail": None,
              "teacher": chosen.source or labeller.name, "agreement": chosen.agreement, **mask_features(chosen.mask)}
    if class_name is None:
        fields.update(reason="unknown_class", detail="no catalog class and no class from the labeller")
    return fields, chosen.mask


@dataclass
class Labelling:
    """What ``label_many`` answers: iterating it labels, giving the results in the order they finish; ``engine``
    is the ``Engine`` that ran them (for progress and metadata), None until labelling starts."""
    tasks: Iterable[Task]
    config: LabelConfig
    workers: int
    labeller: object = None
    engine: Engine | None = None

    def __iter__(self) -> Iterator[Result]:
        from labelling.cluster import Engine, connect, label_on_cluster

        config = self.config
        if self.workers <= 1 and not config.cluster.address:
            self.engine = Engine("in-process", "", 1, 1)
            labeller = self.labeller or build_labeller(config)
            for key, path, category in self.tasks:
                yield key, *label_image(path, category, labeller, config)
            return
        with connect(config, self.workers) as (client, used):
            log.info("labelling on %s (%s): %d worker(s), %d thread(s)", used.kind, used.address, used.workers,
                     used.threads)
            self.engine = used
            yield from label_on_cluster(self.tasks, config, client, used)


def label_many(tasks: Iterable[Task], config: LabelConfig, workers: int, labeller=None) -> Labelling:
    """The labelling of ``tasks``. With no cluster address, ``workers`` 1 labels in this process with ``labeller``
    (built there if None); otherwise a Dask cluster labels (labelling/cluster.py): a local one of ``workers``
    processes, or the one at ``label.cluster.address``."""
    return Labelling(tasks, config, workers, labeller)
