"""An ASGI middleware that bounds request bodies in bytes (413) and in time (408), answering JSON.

Starlette's own limit answers a declared oversize body in plain text; this one
answers JSON like every other refusal, without reading the body when
Content-Length already says it is too large, and stops counting chunked bodies
at the limit. A body that has not fully arrived ``timeout`` seconds after the
request began is refused too, so a stalled upload frees its slot instead of
holding it for as long as the client likes. Both errors reach the app's
HTTPException handler; the connection is closed after them (the rest of the body
is never read).
"""

from __future__ import annotations

import time

import anyio
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prodseg.web.errors import error_response


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int, message: str, timeout: float):
        self.app, self.limit, self.message, self.timeout = app, limit, message, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            return await error_response(413, self.message, {"Connection": "close"})(scope, receive, send)
        received, complete = 0, False
        deadline = time.monotonic() + self.timeout

        async def bounded() -> Message:
            nonlocal received, complete
            if complete:  # later reads wait for a disconnect (streamed responses): not the body's time
                return await receive()
            message = None
            with anyio.move_on_after(deadline - time.monotonic()):
                message = await receive()
            if message is None:
                raise HTTPException(408, f"request body not received within {self.timeout:g} s",
                                    headers={"Connection": "close"})
            received += len(message.get("body", b""))
            complete = not message.get("more_body", False)
            if received > self.limit:
                raise HTTPException(413, self.message, headers={"Connection": "close"})
            return message

        await self.app(scope, bounded, send)
