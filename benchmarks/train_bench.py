"""Student speed in Keras: training images/s and inference ms/image (batch 1) at 1 and 2 threads.

    .venv/bin/python benchmarks/train_bench.py [--size 128] [--steps 20] [--runs 200]

Each thread count runs in its own process (TF fixes its thread pools at start-up).
Inputs are random: speed does not depend on pixel values.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def measure(size: int, threads: int, steps: int, runs: int) -> dict:
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    from training.model import build_student
    from training.train import compile_student

    model, _ = build_student(size, num_classes=9)   # the demo: background + 8
    compile_student(model, "adam", 1e-3, dice_weight=0.5)
    rng = np.random.default_rng(0)
    batch = 16
    x = rng.uniform(0, 255, (batch, size, size, 3)).astype("float32")
    y = rng.integers(0, 9, (batch, size, size)).astype("uint8")
    for _ in range(3):
        model.train_on_batch(x, y)  # warm-up: tracing
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    train_ips = steps * batch / (time.perf_counter() - start)

    one = x[:1]
    infer = tf.function(lambda t: model(t, training=False))
    for _ in range(10):
        infer(one)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        infer(one).numpy()
        times.append((time.perf_counter() - start) * 1000)
    return {"threads": threads, "train_images_per_s": round(train_ips, 1),
            "infer_ms_median": round(statistics.median(times), 2),
            "infer_ms_p90": round(statistics.quantiles(times, n=10)[-1], 2), "params": model.count_params()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--threads", type=int, help="(internal) measure in this process with N threads")
    args = parser.parse_args()
    if args.threads:
        print(json.dumps(measure(args.size, args.threads, args.steps, args.runs)))
        return
    rows = []
    for threads in (1, 2):
        out = subprocess.run([sys.executable, __file__, "--threads", str(threads), "--size", str(args.size),
                              "--steps", str(args.steps), "--runs", str(args.runs)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"student {rows[0]['params'] / 1e6:.2f} M params, {args.size}x{args.size}, Keras on CPU")
    print(f"{'threads':>8}{'train img/s':>13}{'infer ms (median)':>19}{'p90':>8}")
    for r in rows:
        print(f"{r['threads']:>8}{r['train_images_per_s']:>13}{r['infer_ms_median']:>19}{r['infer_ms_p90']:>8}")


if __name__ == "__main__":
    main()
