"""Concurrent big uploads against a real `prodseg serve`: the server's peak RSS while they queue (issue 25).

    .venv/bin/python benchmarks/upload_memory_bench.py [--uploads 16] [--mb 14] [--workers 1] [--repo DIR]

Each client posts one photo of about --mb MB (a noise PNG, so it does not compress) to /predict,
all at once, to a server with --workers workers: most uploads wait for a worker. The server's
peak resident memory (VmHWM, /proc) over its idle figure says how many bodies were held while
waiting. --repo runs the server from another checkout of the project (e.g. the code before issue
25, unpacked with `git archive`), with the same model and client. Model and files as in serve_bench.py.
"""

from __future__ import annotations

import argparse
import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

import serve_bench  # the scripts beside this one
from prodseg.settings import Settings
from serve_memory_bench import rss_mb


def noise_png(megabytes: float) -> bytes:
    side = int((megabytes * 1e6 / 3) ** 0.5)
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=16)
    parser.add_argument("--mb", type=float, default=14)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--repo", type=Path, help="the checkout the server runs from (default: this one)")
    parser.add_argument("--var", type=Path, help="runtime folder (default: PRODSEG_VAR or paths.var)")
    args = parser.parse_args()
    bench = (args.var.resolve() if args.var else Settings.load().var_dir) / "bench"
    bench.mkdir(parents=True, exist_ok=True)
    model = serve_bench.default_model(bench)
    if args.repo:
        serve_bench.REPO = args.repo.resolve()
    data = noise_png(args.mb)
    port = serve_bench.free_port()
    server = serve_bench.start_server(model, port, args.workers, bench)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            def post(_) -> int:
                return client.post("/predict", files={"image": ("noise.png", data, "image/png")}).status_code

            post(None)
            idle = rss_mb(server.pid, "VmHWM")
            start = time.monotonic()
            with ThreadPoolExecutor(args.uploads) as pool:
                codes = list(pool.map(post, range(args.uploads)))
            wall = time.monotonic() - start
            answers = ", ".join(f"{codes.count(c)} x {c}" for c in sorted(set(codes)))
            peak = rss_mb(server.pid, "VmHWM")
            print(f"{args.uploads} x {len(data) / 1e6:.1f} MB at once, {args.workers} worker(s), server from "
                  f"{serve_bench.REPO}: {wall:.1f} s, {answers}; peak RSS {peak:.0f} MB "
                  f"(+{peak - idle:.0f} MB over the peak after one upload, {idle:.0f} MB)")
    finally:
        server.terminate()
        server.wait(15)


if __name__ == "__main__":
    main()
