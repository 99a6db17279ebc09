"""The model a server is serving now, and swapping in a new champion without a restart."""

from __future__ import annotations

import logging
import threading

from prodseg.settings import Settings
from serving.model_source import ModelSource, resolve
from serving.predictor import Predictor

log = logging.getLogger(__name__)


class ServedModel:
    """Requests read ``.predictor`` once each; ``reload()`` replaces it whole, so a request never sees a mix."""

    def __init__(self, settings: Settings, workers: int | None = None):
        self.settings = settings
        self.workers = workers
        self._lock = threading.Lock()
        self.predictor = self._load(resolve(settings))

    def _load(self, source: ModelSource) -> Predictor:
        predictor = Predictor(source, self.settings, self.workers)
        height, width = predictor.size
        log.info("serving %s from %s: input %dx%d, %d worker(s)", source.label, source.origin, width, height,
                 predictor.pool.workers)
        return predictor

    def reload(self) -> dict:
        """Resolve the model again (a new champion, a replaced file); load it only when it changed."""
        with self._lock:
            source = resolve(self.settings)
            current = self.predictor
            if source.key == current.source.key:
                return {"reloaded": False, "model": current.model_info()}
            self.predictor = self._load(source)
            return {"reloaded": True, "previous": current.model_info(), "model": self.predictor.model_info()}
