"""Which labeller runs: ``label.labeller`` is guided, cascade, auto, isnet, grabcut or detectron2.

``guided`` is the cascade's teachers led by a class-aware detector and cross-checked (labelling/guided.py);
without the detector (npm unreachable, fetch off) it is the cascade, with one warning saying why.

``cascade`` (the demo's) is GrabCut, then IS-Net where GrabCut is not confident; without IS-Net it
is GrabCut alone, with one warning saying why. ``auto`` takes the best teacher that is there:
detectron2, then IS-Net (weights already on disk), then GrabCut. A teacher asked for by name fails
loudly instead.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import sys
from pathlib import Path

from labelling.cascade import CascadeLabeller
from labelling.detector import Detector, resolve_weights as resolve_detector_weights
from labelling.detectron2_teacher import Detectron2Labeller, resolve_weights as resolve_detectron2_weights
from labelling.grabcut import GrabCutLabeller
from labelling.guided import GuidedLabeller
from labelling.isnet import IsNetLabeller, resolve_weights as resolve_isnet_weights
from labelling.teacher import TeacherUnavailable
from prodseg.settings import LabelConfig

log = logging.getLogger(__name__)


def resolve_labeller(config: LabelConfig, teachers_dir: Path) -> LabelConfig:
    """``config`` made concrete: the labeller that will run (after any fallback) with its weights'
    paths filled in, fetched first where allowed. Workers build from it without deciding again."""
    kind = config.labeller
    if kind == "grabcut":
        return config
    if kind == "detectron2":
        return _with_detectron2(config)
    if kind == "isnet":
        return _with_isnet(config, teachers_dir)
    if kind == "guided":
        cascade = resolve_labeller(config.model_copy(update={"labeller": "cascade"}), teachers_dir)
        if cascade.labeller != "cascade":
            return cascade
        try:
            weights = str(resolve_detector_weights(config.detector, teachers_dir))
        except TeacherUnavailable as exc:
            log.warning("labeller guided: the cascade without the detector (no class-aware checks), because %s", exc)
            return cascade
        return cascade.model_copy(update={"labeller": "guided", "detector": config.detector.model_copy(
            update={"weights": weights, "fetch": False})})
    if kind == "cascade":
        try:
            return _with_isnet(config, teachers_dir).model_copy(update={"labeller": "cascade"})
        except TeacherUnavailable as exc:
            log.warning("labeller cascade: GrabCut alone (room shots will be rejected), because %s", exc)
            return config.model_copy(update={"labeller": "grabcut"})
    reasons = []
    try:
        return _with_detectron2(config)
    except TeacherUnavailable as exc:
        reasons.append(str(exc))
    try:  # auto never downloads: IS-Net only when its weights are already there
        return _with_isnet(config.model_copy(update={"isnet": config.isnet.model_copy(update={"fetch": False})}),
                           teachers_dir)
    except TeacherUnavailable as exc:
        reasons.append(str(exc))
    log.warning("labeller auto: using grabcut, because %s", "; and ".join(reasons))
    return config.model_copy(update={"labeller": "grabcut"})


def _with_detectron2(config: LabelConfig) -> LabelConfig:
    weights = resolve_detectron2_weights(config.detectron2)
    return config.model_copy(update={"labeller": "detectron2",
                                     "detectron2": config.detectron2.model_copy(update={"weights": weights})})


def _with_isnet(config: LabelConfig, teachers_dir: Path) -> LabelConfig:
    weights = str(resolve_isnet_weights(config.isnet, teachers_dir))
    return config.model_copy(update={"labeller": "isnet",
                                     "isnet": config.isnet.model_copy(update={"weights": weights, "fetch": False})})


def build_labeller(config: LabelConfig):
    """The labeller of a config that ``resolve_labeller`` made concrete."""
    if config.labeller == "grabcut":
        return GrabCutLabeller(config.grabcut)
    if config.labeller == "detectron2":
        return Detectron2Labeller(config.detectron2, config.detectron2.weights)
    deep = IsNetLabeller(config.isnet, Path(config.isnet.weights))
    if config.labeller == "isnet":
        return deep
    if config.labeller == "guided":
        return GuidedLabeller(Detector(config.detector, Path(config.detector.weights)), GrabCutLabeller(config.grabcut),
                              deep, config.guided, config.cascade)
    return CascadeLabeller(GrabCutLabeller(config.grabcut), deep, config.cascade.grabcut_confident)


def make_labeller(config: LabelConfig, teachers_dir: Path):
    """The configured labeller; ``teachers_dir`` holds fetched teacher weights."""
    return build_labeller(resolve_labeller(config, teachers_dir))


def _modules(labeller) -> list[str]:
    names = [type(labeller).__module__]
    if hasattr(labeller, "detector"):
        names.append(type(labeller.detector).__module__)
    for teacher in getattr(labeller, "teachers", ()):
        names += _modules(teacher)
    return names


def labeller_key(labeller) -> str:
    """The labeller's own key plus a hash of its modules' code: labels made by other code are redone."""
    source = "".join(inspect.getsource(sys.modules[name]) for name in _modules(labeller))
    return f"{labeller.key()}-{hashlib.sha256(source.encode()).hexdigest()[:8]}"
