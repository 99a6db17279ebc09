"""Serve the generated demo shop over real HTTP on 127.0.0.1.

Static files come from ``site/``; ``server.json`` adds what real shops do to
crawlers: a page that answers 500 once, a slow page, redirecting image URLs, and
``rewrites`` (a URL, query included, -> the file that answers it: ``/shop/beds?page=2``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


class ShopServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, shop_dir: Path, host: str = "127.0.0.1", port: int = 0):
        self.shop_dir = Path(shop_dir)
        site = self.shop_dir / "site"
        if not site.is_dir():
            raise FileNotFoundError(f"no generated shop at {self.shop_dir} (run `prodseg shop generate`)")
        config_path = self.shop_dir / "server.json"
        behaviours = json.loads(config_path.read_text()) if config_path.exists() else {}
        self.fail_once: set[str] = set(behaviours.get("fail_once", []))
        self.slow: dict[str, float] = behaviours.get("slow", {})
        self.redirects: dict[str, str] = behaviours.get("redirects", {})
        self.rewrites: dict[str, str] = behaviours.get("rewrites", {})
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status), for tests and stats
        self._lock = threading.Lock()
        super().__init__((host, port), partial(_Handler, directory=str(site)))

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))

    def take_fail_once(self, path: str) -> bool:
        """True the first time ``path`` is asked for, if it is a fail-once page."""
        with self._lock:
            if path in self.fail_once:
                self.fail_once.discard(path)
                return True
            return False

    def paths_requested(self) -> list[str]:
        with self._lock:
            return [path for _, path, _ in self.requests]


class _Handler(SimpleHTTPRequestHandler):
    server: ShopServer
    protocol_version = "HTTP/1.1"  # keep-alive: crawlers reuse connections

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path in self.server.rewrites:  # the static handler would drop the query
            self.path = self.server.rewrites[self.path]
        path = urlsplit(self.path).path
        if path in self.server.slow:
            time.sleep(self.server.slow[path])
        if self.server.take_fail_once(path):
            self._plain(500, b"temporary failure\n")
            return
        if path in self.server.redirects:
            self.send_response(302)
            self.send_header("Location", self.server.redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def _plain(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code="-", size="-") -> None:
        self.server.record(self.command, urlsplit(self.path).path, int(code) if str(code).isdigit() else 0)
        log.debug("%s %s %s", self.command, self.path, code)

    def log_message(self, format, *args) -> None:  # noqa: A002 (base class signature)
        log.debug(format, *args)


@contextmanager
def serving(server: ThreadingHTTPServer, name: str) -> Iterator[ThreadingHTTPServer]:
    """Run ``server`` in a background thread for the duration of the block, then close it."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def running_shop(shop_dir: Path, host: str = "127.0.0.1", port: int = 0):
    """Serve the shop in a background thread for the duration of the block (a context manager)."""
    return serving(ShopServer(shop_dir, host, port), "demo-shop")
