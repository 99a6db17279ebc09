"""The tiny pipeline the orchestration tests run: a demo shop small enough for CI, every stage real.

24 products (three per class) split 40/30/30, so train, val and test each get products of every
class (with two per class the test split stays empty); 64x64, one epoch, short evaluation, one
TFLite variant. What these tests prove is the orchestration, so each stage is as cheap as it can be and
still real: labelling in this process (a Dask cluster of 2 workers takes ~10 s to start for 55 images;
tests/labelling runs the cluster) and one training phase (each phase traces the model's train and val
steps again, ~20 s on 2 cores; tests/training runs both).
"""

import os
import re
import socket
import sys
from pathlib import Path

from prodseg.settings import REPO_ROOT
from tests.conftest import TINY_TRAIN

DAGSTER = Path(sys.executable).with_name("dagster")
DG = Path(sys.executable).with_name("dg")   # `make demo` / `make ui` run `dg launch` / `dg dev`
# What a new user must not see: Dagster's "superseded, use dg" (SupersessionWarning) or any deprecation.
OUTDATED = re.compile(r"supersed|deprecat", re.I)

TINY = {
    "shop": {"products": 24},
    "label": {"labeller": "grabcut", "workers": 1},
    "split": {"train": 0.4, "val": 0.3, "test": 0.3},
    "train": {**TINY_TRAIN, "epochs_frozen": 0},
    "evaluate": {"baseline_epochs": 1, "latency_runs": 3, "gallery_size": 2},
    "export": {"representative_images": 8, "variants": ["fp32"]},
    "promote": {"min_test_iou": 0.0},   # one epoch on a dozen images: the floor is not what is tested
}

# The whole run in one process: each step process would import TensorFlow again (~10 s per step
# here). `make demo` keeps Dagster's default (a process per step); the Postgres test runs that path.
IN_PROCESS = ["--config-json", '{"execution": {"config": {"in_process": {}}}}']


def outdated_lines(output: str) -> list[str]:
    """The lines of a command's output that call it (or what it runs) superseded or deprecated."""
    return [line for line in output.splitlines() if OUTDATED.search(line)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environ() -> dict[str, str]:
    """This process's env without the developer's prodseg, MLflow and Dagster settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PRODSEG", "MLFLOW", "DAGSTER"))}


def tiny_env(root: Path, dagster_home: Path | None = None) -> dict[str, str]:
    """Env for a prodseg process that writes only under ``root`` and runs the tiny pipeline."""
    env = {**clean_environ(), "PRODSEG_VAR": str(root / "var"), "PRODSEG_DATA": str(root / "data"),
           "PRODSEG__SHOP__PORT": str(free_port())}
    for section, values in TINY.items():
        for key, value in values.items():
            env[f"PRODSEG__{section.upper()}__{key.upper()}"] = str(value)
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


def make_dagster_home(path: Path, config: str = "dagster.yaml") -> Path:
    """A DAGSTER_HOME holding one of the project's instance configs, as `make dagster-home` makes it."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "dagster.yaml").write_text((REPO_ROOT / "config" / config).read_text())
    return path
