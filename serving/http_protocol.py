"""Uvicorn's h11 protocol with a bound on how long a request's line and headers may take, and JSON errors.

Uvicorn (0.54) starts no timer on a new connection, and any byte cancels its keep-alive timer,
so a client that sends half a request line and stalls holds the connection for ever (slowloris).
Here every request head must be complete ``header_timeout`` seconds after the connection opened
or the previous response ended (its first byte, for a kept-alive connection), else the
connection gets a 408 and is closed (closed silently when nothing at all was sent). A
malformed head, or one over ``h11_max_incomplete_event_size`` bytes, gets uvicorn's 400 and
close, in the project's JSON shape instead of plain text.
"""

from __future__ import annotations

import asyncio
import json
import re

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from prodseg.web.headers import NO_FRAMING, SECURITY_HEADERS


HEAD_END = re.compile(rb"\n\r?\n")  # where h11 ends a request head
MALFORMED = "malformed HTTP request, or its line and headers too long"


def _error(status: int, reason: str, message: str) -> bytes:
    """A whole response in the project's JSON error shape, written raw: h11 will not send one before a request."""
    body = json.dumps({"success": False, "error": message}).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), "Connection": "close",
               **SECURITY_HEADERS, "Content-Security-Policy": NO_FRAMING}
    head = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in headers.items())]
    return "\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + body


class BoundedH11Protocol(H11Protocol):
    header_timeout: float = 10.0  # both set per server by ``bounded_h11``
    max_header_bytes: int = 16_384

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.head_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            # h11 bounds only a head still incomplete; one that arrives whole in a chunk is bounded here.
            pending = self.conn.trailing_data[0] + data
            if len(pending) > self.max_header_bytes and not HEAD_END.search(pending, 0, self.max_header_bytes + 2):
                self._unset_keepalive_if_required()
                return self.send_400_response(MALFORMED)
        super().data_received(data)
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """A timer from a new connection's start, or a kept-alive one's first byte, until a head is parsed."""
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            self._stop_head_timer()
        elif self.head_timer is None:
            self.head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:  # part of a head came: say why it is cut off
            self.transport.write(_error(408, "Request Timeout",
                                        f"request line and headers not received within {self.header_timeout:g} s"))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._stop_head_timer()
        self.transport.write(_error(400, "Bad Request", MALFORMED))
        self.transport.close()


def bounded_h11(header_timeout: float, max_header_bytes: int) -> type[BoundedH11Protocol]:
    """The protocol class for one server (uvicorn instantiates it per connection)."""
    return type("BoundedH11Protocol", (BoundedH11Protocol,),
                {"header_timeout": header_timeout, "max_header_bytes": max_header_bytes})
