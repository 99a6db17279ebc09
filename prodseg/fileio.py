"""Atomic writes and content hashing shared by every stage.

Writes go to a temp file in the destination folder and are renamed into place,
so an interrupted run never leaves a half-written file where a finished one is expected.
Inside ``all_or_nothing()`` the renames wait for the end of the block: a stage's outputs
are then all updated, or (an error, a full disk) all left as they were.

Files get the mode a plain ``open()`` gives (0666 less the umask), not mkstemp's 0600:
another user, such as the container's non-root user reading a mounted data folder, must
be able to read them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

# (temp file, destination) renames held back by the innermost all_or_nothing() block, if any.
_pending: ContextVar[list[tuple[Path, Path]] | None] = ContextVar("prodseg_pending_renames", default=None)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """Atomic writes in the block are swapped in together when it ends; an error discards them all.

    The data is on disk before the first rename, and a rename allocates no space, so a full
    disk fails the block before any output changed. A nested block joins the outer one.
    """
    if _pending.get() is not None:
        yield
        return
    pending: list[tuple[Path, Path]] = []
    token = _pending.set(pending)
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        _pending.reset(token)
    for tmp, path in pending:
        os.replace(tmp, path)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for open()
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        pending = _pending.get()
        if pending is None:
            os.replace(tmp, path)
        else:
            pending.append((tmp, path))
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # a failed write() names no file; the message should
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    # Serialized in memory, then written as bytes: one write path (temp file, mode, the file's name
    # in errors) for every format; the tables are small.
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return atomic_write_bytes(path, buffer.getvalue())
