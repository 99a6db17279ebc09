"""Following the registry: a thread that checks the champion alias every ``serve.follow_seconds``.

Each check is a ``ServedModel.reload``: a new champion is loaded beside the old one and swapped in
whole; one that fails to load leaves the old one serving and is tried again at the next check.
The wait varies by ±10% so that a fleet started together does not query the registry together.
"""

from __future__ import annotations

import logging
import random
import threading

from serving.model_source import ModelUnavailable
from serving.state import ServedModel

log = logging.getLogger(__name__)
JITTER = 0.1


class Follower:
    def __init__(self, model: ServedModel, seconds: float, stop_timeout: float = 30):
        if seconds <= 0:
            raise ValueError(f"follow seconds must be > 0, got {seconds}")
        self.model, self.seconds, self.stop_timeout = model, seconds, stop_timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="follow-champion", daemon=True)

    def start(self) -> None:
        log.info("following the champion: checking every %.3g s", self.seconds)
        self._thread.start()

    def stop(self) -> None:
        """Ends the loop; waits for a check in progress (a model being loaded) up to ``stop_timeout``."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.stop_timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self.seconds * random.uniform(1 - JITTER, 1 + JITTER)):
            try:
                self.model.reload("follow")
            except ModelUnavailable:
                pass  # logged and shown in /model by reload(); the next check tries again
            except Exception:  # noqa: BLE001 - a bug in one check must not end following
                log.exception("checking the champion failed")
