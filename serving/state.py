"""The model a server is serving now, and swapping in a new champion without a restart."""

from __future__ import annotations

import logging
import threading

from prodseg.settings import Settings
from serving.model_source import ModelSource, ModelUnavailable, resolve
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
        try:
            predictor = Predictor(source, self.settings, self.workers)
        except ModelUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a file caught half-copied: refuse it, keep the old model
            raise ModelUnavailable(f"cannot load {source.path}: {type(exc).__name__}: {exc}") from None
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
