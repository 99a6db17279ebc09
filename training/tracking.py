"""MLflow setup: a sqlite store under the runtime folder by default, a server by MLFLOW_TRACKING_URI."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import mlflow

from prodseg.settings import Settings

log = logging.getLogger(__name__)


def init_mlflow(settings: Settings) -> str:
    """Point MLflow at the configured store and experiment; returns the experiment id."""
    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    name = settings.config.mlflow.experiment
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        # Local stores keep artifacts beside the database (not in ./mlruns); a server decides for itself.
        artifacts = (settings.mlflow_dir / "artifacts").as_uri() if uri.startswith(("sqlite:", "file:")) else None
        experiment_id = mlflow.create_experiment(name, artifact_location=artifacts)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def data_revision(settings: Settings) -> str | None:
    """The DVC revision of the data: the hash of dvc.lock when the pipeline has been run by DVC."""
    lock = settings.repo_root / "dvc.lock"
    return file_sha256(lock)[:12] if lock.exists() else None
