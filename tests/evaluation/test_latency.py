"""Latency figures of the evaluation table and the export report."""

from evaluation.latency import latency_ms


def test_latency_reports_median_and_p90():
    timing = latency_ms(lambda: sum(range(1000)), warmup=2, runs=20)
    assert 0 < timing["median"] <= timing["p90"]
