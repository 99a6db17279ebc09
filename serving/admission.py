"""ASGI middlewares that bound the requests in the app at once, answering the rest with a JSON 503.

Uvicorn's own ``limit_concurrency`` counts open connections, answers in plain text
and refuses ``/health`` too; stalled uploads could take every slot. Here liveness
always passes, and a stalled upload holds its slot only until ``serve.body_timeout_s``.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from prodseg.web.errors import error_response


def _busy(message: str):
    return error_response(503, message, {"Retry-After": "1", "Connection": "close"})  # its body is never read


class Admission:
    def __init__(self, app: ASGIApp, limit: int, exempt: tuple[str, ...] = ("/health",)):
        self.app, self.limit, self.exempt = app, limit, exempt
        self.active = 0  # one event loop: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            return await self.app(scope, receive, send)
        if self.active >= self.limit:
            return await _busy(f"server busy: {self.limit} requests in progress; try again shortly")(scope, receive, send)
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class UploadSlots:
    """At most ``limit`` uploads (POSTs to ``paths``) are received and processed at once.

    A slot is taken before the body is read: an upload waiting for one (up to ``timeout``
    seconds, then a 503) has sent uvicorn no more than its read-ahead (64 kB), the rest stays
    with the client (TCP back-pressure), so waiting uploads hold no memory of their size.
    """

    def __init__(self, app: ASGIApp, limit: int, timeout: float, paths: tuple[str, ...]):
        self.app, self.limit, self.timeout, self.paths = app, limit, timeout, paths
        self.slots = anyio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.paths:
            return await self.app(scope, receive, send)
        taken = False
        with anyio.move_on_after(self.timeout):
            await self.slots.acquire()
            taken = True
        if not taken:
            busy = _busy(f"server busy: {self.limit} uploads in progress for {self.timeout:g} s; try again shortly")
            return await busy(scope, receive, send)
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.release()
