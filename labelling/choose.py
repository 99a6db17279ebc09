"""Which labeller runs: ``label.labeller`` is auto, grabcut or detectron2."""

from __future__ import annotations

import hashlib
import inspect
import logging
import sys

from labelling.detectron2_teacher import Detectron2Labeller, TeacherUnavailable
from labelling.grabcut import GrabCutLabeller
from prodseg.settings import LabelConfig

log = logging.getLogger(__name__)


def make_labeller(config: LabelConfig):
    """The configured labeller. ``auto`` prefers the Detectron2 teacher and falls back
    to GrabCut with one warning saying why; ``detectron2`` fails loudly instead."""
    if config.labeller == "grabcut":
        return GrabCutLabeller(config.grabcut)
    try:
        return Detectron2Labeller(config.detectron2)
    except TeacherUnavailable as exc:
        if config.labeller == "detectron2":
            raise
        log.warning("labeller auto: using grabcut, because %s", exc)
        return GrabCutLabeller(config.grabcut)


def labeller_key(labeller) -> str:
    """The labeller's own key plus a hash of its module's code: labels made by other code are redone."""
    source = inspect.getsource(sys.modules[type(labeller).__module__])
    return f"{labeller.key()}-{hashlib.sha256(source.encode()).hexdigest()[:8]}"
