"""Latency of one model call, as the evaluation table and the export report give it."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def latency_ms(run: Callable[[], object], warmup: int = 10, runs: int = 100) -> dict[str, float]:
    """Median and p90 of ``run()`` wall time in ms, after a warm-up."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return {"median": round(statistics.median(times), 3), "p90": round(statistics.quantiles(times, n=10)[-1], 3)}
