"""Promotion logic against a real sqlite-backed MLflow registry."""

import mlflow
import pytest
from mlflow import MlflowClient

from release.registry import CHALLENGER, CHAMPION, current_champion, list_versions, promote

NAME = "prodseg-student"


@pytest.fixture
def client(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = MlflowClient(uri)
    client.create_registered_model(NAME)
    experiment = client.create_experiment("t", artifact_location=(tmp_path / "artifacts").as_uri())
    client.new_version = lambda: str(client.create_model_version(
        NAME, (tmp_path / "m").as_uri(), client.create_run(experiment).info.run_id).version)
    return client


def test_first_becomes_champion_worse_does_not_better_does(client):
    scores = {}

    def champion_score(version):
        return scores[version]

    v1 = client.new_version()
    scores[v1] = 0.80
    first = promote(client, NAME, v1, 0.80, 0.01, champion_score, tags={"test_mean_iou": 0.80})
    assert first.promoted and current_champion(client, NAME) == v1

    v2 = client.new_version()
    scores[v2] = 0.805
    worse = promote(client, NAME, v2, 0.805, 0.01, champion_score)  # better, but not by the margin
    assert not worse.promoted and current_champion(client, NAME) == v1
    assert str(client.get_model_version_by_alias(NAME, CHALLENGER).version) == v2

    v3 = client.new_version()
    better = promote(client, NAME, v3, 0.85, 0.01, champion_score)
    assert better.promoted and better.previous_champion == v1 and current_champion(client, NAME) == v3
    assert first.moved and worse.moved and better.moved and better.previous_challenger == v2  # servers are told
    again = promote(client, NAME, v3, 0.85, 0.01, champion_score)  # the same version promoted twice
    assert again.reason == "already champion" and not again.moved  # moves nothing: nobody to tell

    listed = {row["version"]: row for row in list_versions(client, NAME)}
    assert listed[v3]["aliases"] == [CHALLENGER, CHAMPION]
    assert listed[v1]["tags"]["test_mean_iou"] == "0.8"
    assert [row["version"] for row in list_versions(client, NAME)] == [v3, v2, v1]


def test_no_model_means_no_champion(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path}/empty.db")
    assert current_champion(client, NAME) is None and list_versions(client, NAME) == []
    assert mlflow.get_tracking_uri()  # the global URI is left alone
