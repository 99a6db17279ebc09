"""An ASGI middleware that refuses request bodies over a byte limit with a JSON 413.

Starlette's own limit answers a declared oversize body in plain text; this one
answers JSON like every other refusal, without reading the body when
Content-Length already says it is too large, and stops counting chunked bodies
at the limit (the error reaches the app's HTTPException handler).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int, message: str):
        self.app, self.limit, self.message = app, limit, message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            response = JSONResponse({"success": False, "error": self.message}, status_code=413,
                                    headers={"Connection": "close"})
            return await response(scope, receive, send)
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise HTTPException(413, self.message)
            return message

        await self.app(scope, counted, send)
