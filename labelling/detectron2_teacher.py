"""The teacher: Detectron2 Mask R-CNN (COCO) from its model zoo. A thin adapter.

Detectron2 is not on PyPI; install it from its git repository into .venv where
the network allows (it needs torch). Without it, ``labeller: auto`` uses GrabCut.
"""

from __future__ import annotations

import logging

import numpy as np

from labelling.instances import Instance
from labelling.teacher import TeacherUnavailable
from prodseg.settings import Detectron2Config

log = logging.getLogger(__name__)


def _import_detectron2():
    try:
        from detectron2 import model_zoo  # noqa: PLC0415
        from detectron2.config import get_cfg  # noqa: PLC0415
        from detectron2.data import MetadataCatalog  # noqa: PLC0415
        from detectron2.engine import DefaultPredictor  # noqa: PLC0415
    except ImportError as exc:
        raise TeacherUnavailable(
            f"detectron2 is not installed ({exc}); it is not on PyPI: install it from its git "
            "repository (with torch) to use the Mask R-CNN teacher") from exc
    return model_zoo, get_cfg, MetadataCatalog, DefaultPredictor


def build_cfg(config: Detectron2Config, weights: str):
    """The Detectron2 config for ``config.model`` loading ``weights`` (a checkpoint path or URL);
    ``""`` leaves the model randomly initialised (tests)."""
    import torch  # noqa: PLC0415  (detectron2 depends on it)

    model_zoo, get_cfg, _, _ = _import_detectron2()
    cfg = get_cfg()
    cfg.merge_from_file(model_zoo.get_config_file(config.model))
    cfg.MODEL.WEIGHTS = weights
    cfg.MODEL.DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = config.score_threshold
    return cfg


def resolve_weights(config: Detectron2Config) -> str:
    """A local path to the weights: the configured file, or the model zoo's download (cached)."""
    if config.weights:
        return config.weights
    model_zoo, *_ = _import_detectron2()
    from detectron2.utils.file_io import PathManager  # noqa: PLC0415

    url = model_zoo.get_checkpoint_url(config.model)
    try:
        return PathManager.get_local_path(url)  # downloads once, then reads the cache
    except Exception as exc:  # URLError offline; whatever iopath raises elsewhere
        raise TeacherUnavailable(f"Mask R-CNN weights could not be fetched from the model zoo ({exc!r}); "
                                 "set label.detectron2.weights to a local checkpoint") from exc


def outputs_to_instances(instances, thing_classes: list[str], class_map: dict[str, str]) -> list[Instance]:
    """Detectron2 ``Instances`` -> ours; COCO classes outside ``class_map`` get class None."""
    masks = instances.pred_masks.cpu().numpy().astype(bool)
    classes = instances.pred_classes.cpu().numpy()
    scores = instances.scores.cpu().numpy()
    return [Instance(mask=m, class_name=class_map.get(thing_classes[int(c)]), score=float(s))
            for m, c, s in zip(masks, classes, scores)]


class Detectron2Labeller:
    name = "detectron2"

    def __init__(self, config: Detectron2Config, weights: str | None = None):
        """``weights`` None: the configured checkpoint, else the model zoo's (downloaded once);
        a path or URL: that checkpoint; ``""``: random initialisation."""
        _, _, metadata, predictor = _import_detectron2()
        self.config = config
        self.cfg = build_cfg(config, weights if weights is not None else resolve_weights(config))
        self.predictor = predictor(self.cfg)
        self.thing_classes = metadata.get(self.cfg.DATASETS.TEST[0]).thing_classes

    @property
    def weights_path(self) -> str:
        return self.cfg.MODEL.WEIGHTS

    def key(self) -> str:
        return f"detectron2-{self.config.model}-{self.cfg.MODEL.WEIGHTS.rsplit('/', 1)[-1]}-{self.config.score_threshold}"

    def label(self, image: np.ndarray, category: str | None) -> list[Instance]:
        outputs = self.predictor(np.ascontiguousarray(image[..., ::-1]))  # DefaultPredictor wants BGR
        return outputs_to_instances(outputs["instances"], self.thing_classes, self.config.class_map)
