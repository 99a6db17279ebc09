"""What a canary costs in memory: the resident memory one more loaded model (the challenger) adds.

    .venv/bin/python benchmarks/canary_memory.py MODEL.tflite [--workers N]

Loads the model as the server does (``serving.predictor.Predictor``: ``workers`` interpreters),
then a second time as the canary's challenger would be, and prints VmRSS after each.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from prodseg.settings import Settings
from serve_memory_bench import rss_mb  # the script beside this one
from serving.model_source import from_path
from serving.predictor import Predictor, default_workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    settings, source = Settings.load(environ={}), from_path(args.model)
    champion = Predictor(source, settings, args.workers)
    one = rss_mb(os.getpid(), "VmRSS")
    challenger = Predictor(source, settings, args.workers)
    two = rss_mb(os.getpid(), "VmRSS")
    print(f"{source.path.name}: {source.path.stat().st_size / 1e6:.2f} MB file, {args.workers} workers; "
          f"RSS {one:.0f} MB with the champion, {two:.0f} MB with a challenger too (+{two - one:.1f} MB)")
    del champion, challenger


if __name__ == "__main__":
    main()
