"""A crawler trap on 127.0.0.1: listing pages that link on forever, each with one product.

``/category/N`` links to ``/category/2N+1``, ``/category/2N+2`` and ``/product/N``; a
product page carries schema.org JSON-LD and one photo of its own. ``delay`` slows
every answer down (a slow shop, so a crawl is still running when a test acts on it).
"""

from __future__ import annotations

import io
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
from PIL import Image

from demo_shop.server import serving


class TrapServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def site_yaml(self, folder: Path, name: str = "trap") -> Path:
        """A site config for the crawl, written into ``folder``."""
        path = Path(folder) / f"{name}.yaml"
        path.write_text(yaml.safe_dump({
            "name": name, "start_urls": [f"{self.url}/category/0"], "allowed_domains": ["127.0.0.1"],
            "listing_links": ["/category/"], "product_links": ["/product/"]}))
        return path


def _photo(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 80), (n % 256, n // 256 % 256, n // 65536 % 256)).save(out, "PNG")
    return out.getvalue()


class _Handler(BaseHTTPRequestHandler):
    server: TrapServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        time.sleep(self.server.delay)
        kind, _, n = self.path.strip("/").partition("/")
        if kind == "category" and n.isdigit():
            k = int(n)
            links = "".join(f'<a href="/category/{c}">more</a>' for c in (2 * k + 1, 2 * k + 2))
            self._send(200, "text/html", f'<html><body>{links}<a href="/product/{k}">item</a></body></html>'.encode())
        elif kind == "product" and n.isdigit():
            data = {"@context": "https://schema.org", "@type": "Product", "sku": f"trap-{n}", "name": f"Vase {n}",
                    "category": "vases", "image": f"/img/{n}.png"}
            body = f'<html><script type="application/ld+json">{json.dumps(data)}</script><h1>Vase {n}</h1></html>'
            self._send(200, "text/html", body.encode())
        elif kind == "img" and n.removesuffix(".png").isdigit():
            self._send(200, "image/png", _photo(int(n.removesuffix(".png"))))
        else:
            self._send(404, "text/plain", b"not found\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 (base class signature)
        pass


def trap_site(delay: float = 0.0):
    """The trap site served on 127.0.0.1 for the duration of a ``with`` block."""
    return serving(TrapServer(delay), "trap-site")
