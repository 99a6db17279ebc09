"""The model a server is serving now, and swapping in a new champion without a restart.

With ``serve.canary_share`` > 0 the registry's ``challenger`` is loaded beside the champion (when it
is another version) and answers that share of requests, chosen at random per request.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from prodseg.settings import Settings
from serving.model_source import ModelSource, ModelUnavailable, NoAlias, registered, resolve
from serving.predictor import Predictor

log = logging.getLogger(__name__)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Serving:
    """What answers requests, swapped whole: a request picks from one snapshot, never a mix of two."""
    champion: Predictor
    challenger: Predictor | None
    since: str          # when this champion started serving


class ServedModel:
    """Requests call ``pick()`` once each; ``reload()`` replaces the snapshot whole."""

    def __init__(self, settings: Settings, workers: int | None = None):
        self.settings = settings
        self.workers = workers
        self.canary_share = settings.config.serve.canary_share
        self._lock = threading.Lock()
        self.last_check: dict | None = None   # when the registry (or file) was last looked at, and what came of it
        champion = self._load(resolve(settings))
        if self.canary_share and settings.config.serve.model:
            log.warning("serve.canary_share ignored: serving the file %s, not the registry",
                        settings.config.serve.model)
        challenger, error = self._challenger(champion, ())
        if error:
            log.error("not serving a challenger: %s", error)
        self._serving = Serving(champion, challenger, now())

    @property
    def predictor(self) -> Predictor:
        return self._serving.champion

    @property
    def challenger(self) -> Predictor | None:
        return self._serving.challenger

    @property
    def since(self) -> str:
        return self._serving.since

    def pick(self) -> Predictor:
        """The predictor for one request: the challenger for ``canary_share`` of them, when there is one."""
        serving = self._serving
        if serving.challenger is not None and random.random() < self.canary_share:
            return serving.challenger
        return serving.champion

    def _load(self, source: ModelSource, loaded: tuple[Predictor | None, ...] = ()) -> Predictor:
        """A predictor for ``source``: one already loaded for it (a challenger promoted), else a new one."""
        for predictor in loaded:
            if predictor is not None and predictor.source.key == source.key:
                return predictor
        try:
            predictor = Predictor(source, self.settings, self.workers)
        except ModelUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a file caught half-copied: refuse it, keep the old model
            raise ModelUnavailable(f"cannot load {source.path}: {type(exc).__name__}: {exc}") from None
        height, width = predictor.size
        log.info("loaded %s from %s: input %dx%d, %d worker(s)", source.label, source.origin, width, height,
                 predictor.pool.workers)
        return predictor

    def _challenger(self, champion: Predictor,
                    loaded: tuple[Predictor | None, ...]) -> tuple[Predictor | None, str | None]:
        """The challenger to canary (None: canary off, no such alias, or it is the champion), and why it failed."""
        if not self.canary_share or self.settings.config.serve.model:
            return None, None
        from release.registry import CHALLENGER  # noqa: PLC0415 - imports MLflow: only when serving from the registry

        try:
            source = registered(self.settings, CHALLENGER)
            if source.version == champion.source.version:
                return None, None
            return self._load(source, loaded), None
        except NoAlias:
            return None, None
        except ModelUnavailable as exc:  # keep canarying the one loaded before, if any
            kept = [p for p in loaded if p is not None and p is not champion
                    and p.source.version != champion.source.version]
            return (kept[0] if kept else None), f"challenger: {exc}"

    def reload(self, trigger: str = "reload") -> dict:
        """Resolve the model again (a new champion, a replaced file); load it only when it changed.

        A failure raises ModelUnavailable and leaves the old model serving; ``last_check`` records either.
        """
        with self._lock:
            at, current = now(), self._serving
            try:
                champion = self._load(resolve(self.settings), (current.champion, current.challenger))
            except ModelUnavailable as exc:
                self.last_check = {"at": at, "trigger": trigger, "result": "failed", "error": str(exc)}
                log.error("%s: cannot switch, still serving %s: %s", trigger, current.champion.source.label, exc)
                raise
            challenger, error = self._challenger(champion, (champion, current.challenger))
            if error:
                log.error("%s: %s", trigger, error)
            switched = champion is not current.champion
            self._serving = Serving(champion, challenger, at if switched else current.since)
            self.last_check = {"at": at, "trigger": trigger, "result": "switched" if switched else "unchanged",
                               "error": error}
            if switched:
                log.info("%s: now serving %s (was %s)", trigger, champion.source.label, current.champion.source.label)
            out = {"reloaded": switched, "model": champion.model_info(),
                   "challenger": challenger.model_info() if challenger else None}
            return {**out, "previous": current.champion.model_info()} if switched else out
