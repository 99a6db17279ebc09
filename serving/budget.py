"""Shared capacity a request waits for briefly, or is refused with a 503: workers and decoded pixels.

A full-size decode is the one cost that follows the upload rather than the model, so the
pixels being decoded at once, across requests, are bounded too.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator


class ServerBusy(RuntimeError):
    """Capacity did not free up in time: the client should retry later (503)."""


class PixelBudget:
    """At most ``capacity`` pixels held at once; ``hold`` waits up to ``timeout`` seconds for its share."""

    def __init__(self, capacity: int, timeout: float):
        self.capacity, self.timeout = capacity, timeout
        self.used = 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        share = min(pixels, self.capacity)  # an image larger than the whole budget still decodes, alone
        with self._changed:
            if not self._changed.wait_for(lambda: self.used + share <= self.capacity, self.timeout):
                raise ServerBusy(f"busy decoding other images for {self.timeout:g} s; try again shortly")
            self.used += share
        try:
            yield
        finally:
            with self._changed:
                self.used -= share
                self._changed.notify_all()
