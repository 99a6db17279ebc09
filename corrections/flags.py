"""Shoppers' "wrong cut-out?" flags: a reference to a catalog image and a reason from a fixed list.

No image bytes and no free text come from the client. One client flags one image once; a client
sends at most ``review.flag_rate_per_hour`` flags an hour; the table holds at most
``review.flag_queue_max`` rows (the server refuses more until people catch up).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from datetime import datetime, timezone

import pandas as pd

from corrections.store import LOCK_NAME, read_table
from prodseg.fileio import atomic_write_parquet
from prodseg.locks import exclusive
from prodseg.settings import Settings

REASONS = ("part_missing", "background_left", "wrong_product", "other")
COLUMNS = {"image_sha256": "string", "reason": "string", "client": "string", "at": "string"}


class FlagsFull(RuntimeError):
    """The flag table is at ``review.flag_queue_max``."""


def flags_path(settings: Settings):
    return settings.corrections_dir / "flags.parquet"


def read_flags(settings: Settings) -> pd.DataFrame:
    return read_table(flags_path(settings), COLUMNS)


def client_key(host: str, salt: str) -> str:
    """Who flagged, without keeping their address: a salted hash, enough to count them."""
    return hashlib.sha256(f"{salt}:{host}".encode()).hexdigest()[:16]


def add_flag(settings: Settings, image_sha256: str, reason: str, client: str) -> bool:
    """Store the flag; False when this client already flagged this image (stored once)."""
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {REASONS}, got {reason!r}")
    with exclusive(settings.corrections_dir / LOCK_NAME, "prodseg flag", 10.0, "corrections lock"):
        table = read_flags(settings)
        if ((table["image_sha256"] == image_sha256) & (table["client"] == client)).any():
            return False
        if len(table) >= settings.config.review.flag_queue_max:
            raise FlagsFull(f"{len(table)} flags wait for review (review.flag_queue_max)")
        row = {"image_sha256": image_sha256, "reason": reason, "client": client,
               "at": datetime.now(timezone.utc).isoformat(timespec="microseconds")}
        atomic_write_parquet(flags_path(settings),
                             pd.concat([table, pd.DataFrame([row]).astype(COLUMNS)], ignore_index=True))
    return True


class RateLimit:
    """At most ``per_hour`` events per key in any sliding hour (in memory: per server process)."""

    def __init__(self, per_hour: int, window_s: float = 3600.0):
        self.per_hour, self.window_s = per_hour, window_s
        self._events: dict[str, deque] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and now - events[0] > self.window_s:
                events.popleft()
            if len(events) >= self.per_hour:
                return False
            events.append(now)
            if len(self._events) > 100_000:  # bounded memory: forget idle clients
                self._events = {k: v for k, v in self._events.items() if v}
            return True
