"""Serving load: N concurrent clients over loopback against a real `prodseg serve`; req/s, p50/p99, errors.

    .venv/bin/python benchmarks/serve_bench.py [--model PATH.tflite|.keras] [--requests 2000]
        [--concurrency 4] [--endpoint /predict] [--image PHOTO] [--workers N] [--var DIR]

Files go to <var>/bench/ (--var, else PRODSEG_VAR or paths.var, as for `prodseg`). Without
--model, the real student architecture (128x128, width 1.0, random weights: speed
does not depend on them) is converted to int8 once and cached there. Without
--image, the request is a 512x512 JPEG studio shot like the demo shop's. The server
runs in its own process (as deployed); the clients share the machine's cores with it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from prodseg.settings import Settings

REPO = Path(__file__).resolve().parent.parent
TARGET = {"req_per_s": 100, "p99_ms": 80}  # issue 7, int8 student on 2 cores


def default_model(bench: Path, size: int = 128) -> Path:
    path = bench / f"student-{size}" / "student-int8.tflite"  # the export stage's name
    if not path.exists():
        import numpy as np

        from release.tflite import convert
        from training.model import build_student

        model, _ = build_student(size, encoder_weights="none", num_classes=9)   # the demo: background + 8
        rng = np.random.default_rng(0)

        def representative():
            for _ in range(16):
                yield [rng.uniform(0, 255, (1, size, size, 3)).astype(np.float32)]

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(convert(model, "int8", representative))
    return path


def default_image() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (512, 512), (250, 250, 248))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([90, 180, 430, 400], 30, fill=(70, 90, 120))
    draw.rectangle([110, 400, 130, 450], fill=(40, 30, 20))
    draw.rectangle([390, 400, 410, 450], fill=(40, 30, 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(model: Path, port: int, workers: int | None, bench: Path) -> subprocess.Popen:
    log_path = bench / "serve_bench.log"
    command = [sys.executable, "-m", "commands.cli", "--var", str(bench), "serve",
               "--model", str(model), "--port", str(port)]
    if workers:
        command += ["--workers", str(workers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODSEG__SERVE")}
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.25)
    proc.kill()
    raise SystemExit(f"server did not start; see {log_path}")


async def load(url: str, endpoint: str, image: bytes, requests: int,
               concurrency: int) -> tuple[list[float], int, float]:
    """Latencies (ms) of successful requests, the error count, and the wall time for all of them."""
    latencies: list[float] = []
    errors = 0
    remaining = requests
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        async def worker():
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                try:
                    response = await client.post(endpoint, files={"image": ("photo.jpg", image, "image/jpeg")})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - start) * 1000)
                else:
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, errors, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a .tflite or .keras file (default: the 128x128 int8 student)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--endpoint", default="/predict", choices=["/predict", "/segment"])
    parser.add_argument("--image", type=Path, help="the photo every request sends")
    parser.add_argument("--workers", type=int, help="the server's parallel requests (default: its own)")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--var", type=Path,
                        help="runtime folder (default: PRODSEG_VAR or paths.var); files go to <var>/bench")
    args = parser.parse_args()

    bench = (args.var.resolve() if args.var else Settings.load().var_dir) / "bench"
    bench.mkdir(parents=True, exist_ok=True)
    model = args.model or default_model(bench)
    image = args.image.read_bytes() if args.image else default_image()
    port = free_port()
    server = start_server(model, port, args.workers, bench)
    url = f"http://127.0.0.1:{port}"
    try:
        info = httpx.get(f"{url}/model").json()
        asyncio.run(load(url, args.endpoint, image, args.warmup, args.concurrency))
        server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
        latencies, errors, wall = asyncio.run(load(url, args.endpoint, image, args.requests, args.concurrency))
        server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
    finally:
        server.terminate()
        server.wait(15)
    size = info["input_size"]
    print(f"{args.endpoint}: {args.requests} requests, {args.concurrency} concurrent clients, {os.cpu_count()} cores; "
          f"model {info['file']} ({info['variant']}, {size['width']}x{size['height']}, {info['workers']} workers); "
          f"image {len(image) / 1e3:.0f} kB")
    p50 = statistics.median(latencies) if latencies else float("nan")
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else float("nan")
    rate = len(latencies) / wall
    print(f"{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    print(f"{rate:>8.1f}{p50:>9.1f}{p99:>9.1f}{errors:>8}")
    # Client and server share the cores: what each spends per request says how much the clients cost.
    print(f"CPU per request: server {server_cpu / args.requests * 1000:.1f} ms, "
          f"clients {client_cpu / args.requests * 1000:.1f} ms")
    met = rate >= TARGET["req_per_s"] and p99 <= TARGET["p99_ms"] and errors == 0
    print(f"target (>= {TARGET['req_per_s']} req/s, p99 <= {TARGET['p99_ms']} ms, 0 errors): "
          f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
