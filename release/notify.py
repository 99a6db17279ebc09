"""Telling running servers that an alias moved: ``POST <url>/reload`` to each of ``serve.notify_urls``.

Servers that follow the registry (``serve.follow_seconds``) would find the new champion at their next
check anyway; this makes it immediate where the servers are known. A server that is down, slow or
refuses the new model is a warning for the caller to show, never a failed promotion.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests

from prodseg.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    url: str
    ok: bool
    detail: str     # what the server serves now, or why it did not answer

    def __str__(self) -> str:
        return f"{self.url}: {self.detail}"


def _describe(body: dict) -> str:
    model = body.get("model") or {}
    served = f"serving v{model.get('version')}" if model.get("version") else f"serving {model.get('name')}"
    return f"{served} ({'reloaded' if body.get('reloaded') else 'unchanged'})"


def notify_reload(urls: list[str], timeout: float) -> list[Notice]:
    """``POST /reload`` to each server in turn; one Notice each, in order."""
    notices = []
    for base in urls:
        url = f"{base.rstrip('/')}/reload"
        try:
            response = requests.post(url, timeout=timeout)
        except requests.Timeout:
            notice = Notice(base, False, f"no answer within {timeout:g} s (it may still load the model)")
        except requests.RequestException as exc:
            notice = Notice(base, False, f"not reachable: {type(exc).__name__}")
        else:
            try:
                body = response.json()
            except ValueError:
                body = {}
            if response.status_code == 200:
                notice = Notice(base, True, _describe(body))
            else:
                notice = Notice(base, False, f"HTTP {response.status_code}: {body.get('error') or response.reason}")
        (log.info if notice.ok else log.warning)("notified %s", notice)
        notices.append(notice)
    return notices


def notify_servers(settings: Settings, moved: bool) -> list[Notice]:
    """After a promotion: tell ``serve.notify_urls`` when an alias moved (nothing to tell otherwise)."""
    serve = settings.config.serve
    return notify_reload(list(serve.notify_urls), serve.notify_timeout_s) if moved and serve.notify_urls else []
