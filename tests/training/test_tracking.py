"""What every MLflow run is named and tagged with, on a real sqlite store; the encoder's start as logged."""

import re
import subprocess

import mlflow
import pandas as pd
import pytest

from prodseg.settings import REPO_ROOT
from tests.conftest import make_settings
from training.encoder_weights import WEIGHTS_NAME
from training.model import EncoderStart
from training.tracking import (data_revision, git_commit, init_mlflow, label_teacher, run_name, run_ui_url,
                               start_run)


@pytest.fixture
def labelled(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    settings = make_settings(tmp_path, tmp_path / "shop", mlflow={"tracking_uri": f"sqlite:///{tmp_path}/m.db"})
    settings.labels_dir.mkdir(parents=True)
    pd.DataFrame({"labeller": ["cascade"] * 4, "teacher": ["isnet", "grabcut", "isnet", "isnet"],
                  "accepted": [True, True, True, False]}).to_parquet(settings.labels_dir / "labels.parquet")
    return settings


def test_git_commit_is_the_checkouts_head_or_unknown_outside_git(tmp_path):
    head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert git_commit(REPO_ROOT).removesuffix("+dirty") == head.stdout.strip()
    assert git_commit(tmp_path) == "unknown"
    assert run_name("train", "unknown").endswith(" unknown")


def test_data_revision_and_teacher_come_from_the_label_table(labelled):
    first = data_revision(labelled)
    assert re.fullmatch(r"labels:[0-9a-f]{12}", first)
    assert label_teacher(labelled) == "cascade (isnet 2, grabcut 1)"   # accepted labels only
    pd.DataFrame({"labeller": ["grabcut"], "teacher": [None], "accepted": [True]}).to_parquet(
        labelled.labels_dir / "labels.parquet")
    assert data_revision(labelled) != first and label_teacher(labelled) == "grabcut"
    (labelled.labels_dir / "labels.parquet").unlink()
    assert data_revision(labelled) is None and label_teacher(labelled) == "unknown"


def test_a_run_is_named_and_tagged_with_commit_dagster_run_data_and_teacher(labelled):
    experiment = init_mlflow(labelled)
    with start_run(labelled, "evaluate", "dagster-run-42", tags={"extra": "x"}) as run:
        pass
    got = mlflow.MlflowClient(labelled.mlflow_tracking_uri).get_run(run.info.run_id)
    commit = git_commit(REPO_ROOT)
    assert re.fullmatch(rf"evaluate \d{{4}}-\d\d-\d\d \d\d:\d\d {commit[:7]}", got.info.run_name)
    assert {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.")} == {
        "prodseg.stage": "evaluate", "git.commit": commit, "dagster.run_id": "dagster-run-42",
        "data.revision": data_revision(labelled), "labels.teacher": "cascade (isnet 2, grabcut 1)", "extra": "x"}
    assert run_ui_url("http://mlflow.example:5000/", experiment, run.info.run_id) == \
        f"http://mlflow.example:5000/#/experiments/{experiment}/runs/{run.info.run_id}"


def test_encoder_start_names_what_the_weights_were(tmp_path):
    assert EncoderStart.of("imagenet").used == "imagenet" and EncoderStart.of("imagenet")
    assert EncoderStart.of(str(tmp_path / WEIGHTS_NAME)) == EncoderStart("npm", str(tmp_path / WEIGHTS_NAME))
    assert EncoderStart.of(str(tmp_path / "mine.weights.h5")).used == "path"
    assert not EncoderStart("none")
