"""Serving memory: bursts of large, well-compressed PNGs against a real `prodseg serve`; peak and settled RSS.

    .venv/bin/python benchmarks/serve_memory_bench.py [--model PATH.tflite|.keras] [--var DIR]

The bursts of issue 12: a 6000x4000 RGB PNG 16 times, 8 at a time, and a 16-bit grey
5000x5000 PNG 32 times, 16 at a time, each to /predict and then /segment. The server's
resident memory is read from /proc: its peak so far (VmHWM) and what it holds 2 s after each
burst (VmRSS). Model and files as in serve_bench.py.
"""

from __future__ import annotations

import argparse
import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image, ImageDraw

from prodseg.settings import Settings
from serve_bench import default_model, free_port, start_server  # the script beside this one


def rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


def studio_png(width: int, height: int, bits: int) -> bytes:
    """A dark product on white: a few tens of kB of PNG however many pixels."""
    image = Image.new("L" if bits == 16 else "RGB", (width, height), "white")
    ImageDraw.Draw(image).rectangle([width // 5, height * 3 // 10, width * 4 // 5, height * 9 // 10], fill=50)
    if bits == 16:
        image = Image.fromarray(np.asarray(image, np.uint16) * 257)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


BURSTS = [("6000x4000 RGB PNG", (6000, 4000, 8), 16, 8), ("5000x5000 16-bit grey PNG", (5000, 5000, 16), 32, 16)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a .tflite or .keras file (default: the 128x128 int8 student)")
    parser.add_argument("--var", type=Path, help="runtime folder (default: PRODSEG_VAR or paths.var)")
    args = parser.parse_args()
    bench = (args.var.resolve() if args.var else Settings.load().var_dir) / "bench"
    bench.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start_server(args.model or default_model(bench), port, None, bench)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=600) as client:
            def post(endpoint: str, data: bytes) -> int:
                return client.post(endpoint, files={"image": ("photo.png", data, "image/png")}).status_code

            post("/predict", studio_png(640, 480, 8))
            print(f"idle: {rss_mb(server.pid, 'VmRSS'):.0f} MB (peak so far {rss_mb(server.pid, 'VmHWM'):.0f} MB)")
            for name, (width, height, bits), requests, at_once in BURSTS:
                data = studio_png(width, height, bits)
                for endpoint in ("/predict", "/segment"):
                    start = time.monotonic()
                    with ThreadPoolExecutor(at_once) as pool:
                        codes = list(pool.map(lambda _: post(endpoint, data), range(requests)))
                    wall = time.monotonic() - start
                    time.sleep(2)
                    answers = ", ".join(f"{codes.count(c)} x {c}" for c in sorted(set(codes)))
                    print(f"{name} ({len(data) / 1e3:.0f} kB) x{requests}, {at_once} at a time, {endpoint}: "
                          f"{wall:.1f} s, {answers}; peak {rss_mb(server.pid, 'VmHWM'):.0f} MB, "
                          f"after {rss_mb(server.pid, 'VmRSS'):.0f} MB")
    finally:
        server.terminate()
        server.wait(15)


if __name__ == "__main__":
    main()
