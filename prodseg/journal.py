"""An append-only JSON-lines journal: what makes long stages resumable.

Each finished unit of work (a crawled product page, a labelled image) is one
line, flushed as it is written. A run killed at any point loses at most the
line being written; the next run reads the journal and skips what it holds.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


class Journal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._fh: IO[str] | None = None

    def records(self) -> list[dict]:
        """All complete records; a torn last line (killed mid-write) is skipped."""
        if not self.path.exists():
            return []
        out = []
        for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                log.warning("%s:%d: skipping a torn journal line", self.path, n)
        return out

    def append(self, record: dict) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torn = _ends_mid_line(self.path)
            self._fh = open(self.path, "a", encoding="utf-8")
            if torn:  # start on a fresh line so the torn one cannot swallow this record
                self._fh.write("\n")
        self._fh.write(json.dumps(record, sort_keys=True) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _ends_mid_line(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with open(path, "rb") as fh:
        fh.seek(-1, 2)
        return fh.read(1) != b"\n"
