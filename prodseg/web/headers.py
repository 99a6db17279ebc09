"""An ASGI middleware that puts the security headers on every response (pages, JSON, images, errors)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Nothing here is meant to be framed or content-sniffed, and no URL needs to leak to other sites.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
NO_FRAMING = "frame-ancestors 'none'"  # the CSP form of X-Frame-Options, for responses that set no CSP of their own


def page_csp(script_src: str = "script-src 'self'") -> str:
    """A page's CSP: only its own script (``script_src``) and style; photos and the webcam stay local (blob:,
    mediastream:)."""
    return (f"default-src 'self'; {script_src}; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; "
            "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", NO_FRAMING)
            await send(message)

        await self.app(scope, receive, with_headers)
