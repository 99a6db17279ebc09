"""MLflow setup (a sqlite store under the runtime folder by default, a server by MLFLOW_TRACKING_URI),
and what every run is named and tagged with, so a run says which code, data and orchestration made it."""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from prodseg.classes import ClassList
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
    """The labelled data's revision: ``labels:`` + the first 12 hex of the sha256 of ``labels/labels.parquet``.
    That table names every image, its mask file, class, score and the teacher's key, so it changes whenever
    the data the student learns from does; unlike ``dvc.lock`` it exists without DVC or a remote and is
    never stale. None before labelling."""
    labels = settings.labels_path
    return "labels:" + file_sha256(labels)[:12] if labels.exists() else None


def git_commit(repo_root: Path) -> str:
    """The checkout's commit (``+dirty`` when tracked files differ from it), or ``unknown`` outside git."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo_root), *args], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):   # no git, or not a checkout (an sdist, a container copy)
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def label_teacher(settings: Settings) -> str:
    """The teacher that made the accepted labels, from the label table: e.g. ``cascade (isnet 129, grabcut 280)``."""
    labels = settings.labels_path
    if not labels.exists():
        return "unknown"
    import pandas as pd   # here: tracking is imported by light modules too

    rows = pd.read_parquet(labels, columns=["labeller", "teacher", "accepted"])
    rows = rows[rows["accepted"].astype(bool)]
    if rows.empty:
        return "none accepted"
    labellers = ", ".join(sorted(rows["labeller"].dropna().astype(str).unique()))
    counts = rows["teacher"].dropna().astype(str).value_counts()
    return f"{labellers} ({', '.join(f'{t} {n}' for t, n in counts.items())})" if len(counts) else labellers


def run_name(stage: str, commit: str, now: datetime | None = None) -> str:
    """What a run is: ``train 2026-12-03 16:20 1a2b3c4``."""
    now = now or datetime.now(timezone.utc)
    return f"{stage} {now:%Y-%m-%d %H:%M} {commit[:7] if commit != 'unknown' else commit}"


def run_tags(settings: Settings, stage: str, dagster_run_id: str | None, commit: str) -> dict[str, str]:
    """The tags every prodseg run carries; ``dagster_run_id`` is the asset's run (``none`` from the CLI)."""
    return {"prodseg.stage": stage, "git.commit": commit, "dagster.run_id": dagster_run_id or "none",
            "data.revision": data_revision(settings) or "none", "labels.teacher": label_teacher(settings)}


def start_run(settings: Settings, stage: str, dagster_run_id: str | None = None, **kwargs):
    """``mlflow.start_run`` named and tagged as above (``kwargs``: more tags via ``tags``, ``nested``...)."""
    commit = git_commit(settings.repo_root)
    tags = {**run_tags(settings, stage, dagster_run_id, commit), **kwargs.pop("tags", {})}
    return mlflow.start_run(run_name=run_name(stage, commit), tags=tags, **kwargs)


def run_ui_url(ui_url: str, experiment_id: str, run_id: str) -> str:
    """The run's page in the MLflow UI."""
    return f"{ui_url.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


MODEL_DESCRIPTION = (
    "prodseg student: a MobileNetV2 encoder + light U-Net decoder (Keras) that segments a product photo into "
    "background and the shop's product classes. Each version carries its class list (tag `classes`, artifact "
    "`classes.json`): a shop's classes are data, so versions may differ. Trained on a shop crawl pseudo-labelled "
    "by a teacher; input float RGB 0..255, output per-pixel logits, one per class (background first). "
    "Alias `champion` is what the server answers with; each version's description says its classes, data and test IoU.")
CLASSES_TAG = "classes"   # JSON list of the product class names (no background), in output order


def describe_model(client: MlflowClient, name: str, version: str, text: str, classes: ClassList) -> None:
    """The registered model's description (what it is), this version's (its data and figures) and its class list."""
    client.update_registered_model(name, description=MODEL_DESCRIPTION)
    client.update_model_version(name, str(version), description=text)
    client.set_model_version_tag(name, str(version), CLASSES_TAG, json.dumps(list(classes.products)))


def log_classes(classes: ClassList) -> None:
    """The active run's class list: artifact ``classes.json`` at the run's root and tag ``classes``."""
    mlflow.log_dict(classes.to_json(), "classes.json")
    mlflow.set_tag(CLASSES_TAG, json.dumps(list(classes.products)))
