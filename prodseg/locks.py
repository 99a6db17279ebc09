"""One writer at a time: an exclusive ``flock`` on a lock file, waited for up to a limit.

The kernel drops the lock when its holder exits, however it exits, so a killed run never
leaves a stale lock behind. The file holds who has it, for the message the next run prints.
Re-entrant within a process: the CLI takes a stage's lock before loading the stage's code,
and the stage function takes it again for its other callers (Dagster, tests).
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from prodseg.settings import Settings

log = logging.getLogger(__name__)
LOCK_NAME = ".prodseg.lock"
_held: dict[Path, int] = {}  # lock file -> depth of the holding blocks in this process
F = TypeVar("F", bound=Callable[..., Any])


class Busy(RuntimeError):
    """Another process holds the lock and did not let go in time."""


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


@contextmanager
def exclusive(path: Path, what: str, wait_s: float, wait_key: str) -> Iterator[None]:
    """Hold the lock file ``path`` for the block; ``what`` names the holder for whoever waits,
    ``wait_key`` the setting that gives ``wait_s`` (for the message when the wait is over)."""
    path = Path(path).resolve()
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+", encoding="utf-8")
    try:
        deadline, waited = time.monotonic() + wait_s, False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(f"{path.parent} is being written by {_holder(path)}; not starting {what} "
                               f"(waited {wait_s:g}s, {wait_key})") from None
                if not waited:
                    log.info("waiting up to %gs for %s, held by %s", wait_s, path.parent, _holder(path))
                    waited = True
                time.sleep(min(0.5, max(deadline - time.monotonic(), 0.01)))
        fh.truncate(0)
        since = datetime.now(timezone.utc).isoformat(timespec="seconds")
        try:
            fh.write(f"{what} (pid {os.getpid()}, since {since})\n")
            fh.flush()
        except OSError as exc:  # a full disk: say which file
            exc.filename = exc.filename or str(path)
            raise
        _held[path] = 1
        try:
            yield
        finally:
            del _held[path]
            fh.truncate(0)
    finally:
        fh.close()  # closing drops the lock


@contextmanager
def data_writer(settings: Settings, stage: str) -> Iterator[None]:
    """The data folder's writer lock for ``stage`` (label, split, train, evaluate, export)."""
    with exclusive(settings.data_dir / LOCK_NAME, f"prodseg {stage}", settings.config.runs.lock_wait_s,
                   "runs.lock_wait_s"):
        yield


def writes_data(stage: str) -> Callable[[F], F]:
    """Decorate a stage function ``fn(settings, ...)`` to run under the data folder's writer lock."""
    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def run(settings: Settings, *args, **kwargs):
            with data_writer(settings, stage):
                return fn(settings, *args, **kwargs)
        return run  # type: ignore[return-value]
    return decorate
