"""An ASGI middleware that bounds the requests in the app at once, answering the rest with a JSON 503.

Uvicorn's own ``limit_concurrency`` counts open connections, answers in plain text
and refuses ``/health`` too; stalled uploads could take every slot. Here liveness
always passes, and a stalled upload holds its slot only until ``serve.body_timeout_s``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from serving.errors import error_response


class Admission:
    def __init__(self, app: ASGIApp, limit: int, exempt: tuple[str, ...] = ("/health",)):
        self.app, self.limit, self.exempt = app, limit, exempt
        self.active = 0  # one event loop: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            return await self.app(scope, receive, send)
        if self.active >= self.limit:
            busy = error_response(503, f"server busy: {self.limit} requests in progress; try again shortly",
                                  {"Retry-After": "1", "Connection": "close"})  # its body is never read
            return await busy(scope, receive, send)
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1
