"""benchmarks/serve_bench.py keeps its files under ``--var`` (issue 12, item 12)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from prodseg.settings import REPO_ROOT


def test_serve_bench_writes_under_var(tmp_path, models_dir):
    var = tmp_path / "var"
    cached = var / "bench" / "student-128" / "student-int8.tflite"  # where --var puts the default model
    cached.parent.mkdir(parents=True)
    shutil.copyfile(models_dir / "dark-int8.tflite", cached)
    repo_bench = REPO_ROOT / "var" / "bench"
    before = sorted(repo_bench.rglob("*")) if repo_bench.exists() else None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRODSEG", "MLFLOW_"))}
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "serve_bench.py"), "--var", str(var),
         "--requests", "20", "--warmup", "2", "--concurrency", "2"],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "model student-int8.tflite (int8, 64x64" in result.stdout  # the cached file under --var served
    header = result.stdout.splitlines().index(f"{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    assert result.stdout.splitlines()[header + 1].split()[-1] == "0"
    assert (var / "bench" / "serve_bench.log").is_file()
    assert (sorted(repo_bench.rglob("*")) if repo_bench.exists() else None) == before
