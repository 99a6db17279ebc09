"""Promotion logic against a real sqlite-backed MLflow registry."""

import mlflow
import pytest
from mlflow import MlflowClient

from release.registry import CHALLENGER, CHAMPION, MEAN_IOU, Comparison, current_champion, list_versions, promote

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


def test_a_refused_version_stays_challenger_and_a_comparison_names_its_basis(client):
    v1 = client.new_version()
    refused = promote(client, NAME, v1, 0.9, 0.01, lambda v: 0.0, refused="refused: v1 cannot name table")
    assert not refused.promoted and refused.reason == "refused: v1 cannot name table"
    assert current_champion(client, NAME) is None and current_champion(client, NAME, CHALLENGER) == v1
    assert promote(client, NAME, v1, 0.9, 0.01, lambda v: 0.0).promoted   # no longer refused: no champion yet

    v2 = client.new_version()
    shared = Comparison(0.80, 0.78, "foreground IoU and the shared classes' IoU (table), as the class lists differ")
    won = promote(client, NAME, v2, 0.10, 0.01, lambda v: shared)   # its own mean IoU is not what counts
    assert won.promoted and (won.score, won.champion_score) == (0.80, 0.78) and won.comparison == shared.basis
    assert won.reason == f"beats v{v1} by +0.0200 on {shared.basis} (margin 0.01)"
    v3 = client.new_version()
    legacy = promote(client, NAME, v3, 0.95, 0.01,
                     lambda v: Comparison(0.95, None, refused="refused: v3 carries no class list, the champion v2 does"))
    assert not legacy.promoted and legacy.reason.startswith("refused: v3") and current_champion(client, NAME) == v2
    assert won.comparison != MEAN_IOU and legacy.comparison == MEAN_IOU
