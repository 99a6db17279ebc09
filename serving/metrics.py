"""Requests, errors and latency per model version: a summary for ``GET /model``, Prometheus text for ``/metrics``.

Outcomes: ``ok``; ``refused`` (the request's fault: a 4xx such as an undecodable image or no product
found); ``error`` (the server's: a 5xx, e.g. busy, or a bug). Each app has its own registry, not the
client library's global one, so several apps in one process (the tests) count apart.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

OUTCOMES = ("ok", "refused", "error")
CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class VersionStats:
    def __init__(self):
        self.registry = CollectorRegistry()
        self._requests = Counter("prodseg_requests", "Prediction requests answered, by model version and outcome",
                                 ["version", "outcome"], registry=self.registry)
        self._seconds = Histogram("prodseg_request_seconds", "Time to answer a prediction request, by model version",
                                  ["version"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self._lock = threading.Lock()  # requests finish in worker threads
        self._table: dict[str, dict] = {}

    def record(self, version: str, outcome: str, seconds: float) -> None:
        self._requests.labels(version, outcome).inc()
        self._seconds.labels(version).observe(seconds)
        with self._lock:
            row = self._table.setdefault(version, {"requests": 0, **dict.fromkeys(OUTCOMES[1:], 0), "seconds": 0.0,
                                                   "max_seconds": 0.0})
            row["requests"] += 1
            if outcome != "ok":
                row[outcome] += 1
            row["seconds"] += seconds
            row["max_seconds"] = max(row["max_seconds"], seconds)

    def summary(self) -> dict[str, dict]:
        """Per version: requests, refused, errors, mean and max latency in ms, since the server started."""
        with self._lock:
            return {version: {"requests": row["requests"], "refused": row["refused"], "errors": row["error"],
                              "latency_ms": {"mean": round(1000 * row["seconds"] / row["requests"], 2),
                                             "max": round(1000 * row["max_seconds"], 2)}}
                    for version, row in self._table.items()}

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


router = APIRouter()


@router.get("/metrics", summary="Prometheus metrics: requests by model version and outcome, latency",
            response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
def metrics(request: Request) -> Response:
    return Response(request.app.state.stats.exposition(), media_type=CONTENT_TYPE)
