"""evaluate -> export -> promote for real on a tiny labelled shop, against a sqlite MLflow registry."""

import json
import re
import shutil
from pathlib import Path

import mlflow
import pytest

from evaluation.evaluate import run_evaluate
from release.export import run_export
from release.promote import run_promote
from release.registry import CHALLENGER, CHAMPION
from release.tflite import ARTIFACT_DIR, tflite_name
from tests.conftest import make_settings
from training.split import run_split
from training.train import run_train

# 20 products over 8 classes: the default 60/20/20 leaves some classes no test product.
FAST = {"split": {"train": 0.4, "val": 0.2, "test": 0.4}, "evaluate": {"baseline_epochs": 1, "latency_runs": 5, "gallery_size": 2},
        "export": {"representative_images": 8}}


@pytest.fixture
def trained(split_settings, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    s = split_settings
    # One epoch (one compiled phase, not two): these stages score and ship a model; training is test_train's.
    settings = make_settings(s.var_dir.parent, s.shop_dir, label={"labeller": "grabcut"},
                             train={**s.config.train.model_dump(), "epochs_frozen": 0},
                             mlflow={"tracking_uri": s.mlflow_tracking_uri}, **FAST)
    shutil.rmtree(settings.splits_dir)   # a fresh split: the fixture's products would otherwise keep theirs
    run_split(settings)
    run_train(settings)
    return settings


def test_evaluate_export_promote_then_a_challenger_that_does_not_win(trained):
    s = trained
    report = run_evaluate(s)
    names = [m["name"] for m in report.models]
    assert names[:4] == ["student", "student, raw argmax", "average mask", "tiny 3-layer CNN"]
    assert names[4].startswith("teacher (grabcut)")
    for m in report.models:
        assert m["latency_ms"]["median"] > 0
        assert m["truth"]["images"] == report.truth_images > report.test_images - 1
        if m["kind"] != "teacher":
            assert 0 <= m["labels"]["mean_iou"] <= 1 and m["labels"]["images"] == report.test_images
    teacher = report.models[4]
    assert teacher["labels"] is None and teacher["truth"]["subsets"]["test_split"]["mean_iou"] > 0.8
    assert report.student["teacher_student_speed_ratio"] > 0
    files = {p.name for p in s.evaluation_dir.iterdir()}
    assert {"report.json", "metrics.json", "per_class_iou.csv", "report.md", "report.html",
            "per_class.png", "iou_histogram.png", "gallery.png"} <= files
    html = (s.evaluation_dir / "report.html").read_text()
    assert "tiny 3-layer CNN" in html
    client = mlflow.MlflowClient(s.mlflow_tracking_uri)
    run = client.get_run(report.run_id)
    assert run.data.metrics["eval.test_mean_iou"] == report.student["test_mean_iou"]
    # The evaluation is its own run under the training run, named and tagged, holding a self-contained report.
    evaluation_run = client.get_run(report.evaluation_run_id)
    assert evaluation_run.info.run_name.startswith("evaluate ")
    assert evaluation_run.data.tags["mlflow.parentRunId"] == report.run_id
    assert evaluation_run.data.tags["dagster.run_id"] == "none"   # run outside Dagster
    assert evaluation_run.data.tags["data.revision"] == run.data.tags["data.revision"] != "none"
    assert evaluation_run.data.metrics["eval.test_mean_iou"] == report.student["test_mean_iou"]
    assert {a.path for a in client.list_artifacts(report.evaluation_run_id, "evaluation")} >= {"evaluation/report.html"}
    logged = Path(mlflow.artifacts.download_artifacts(run_id=report.evaluation_run_id,
                                                      artifact_path="evaluation/report.html",
                                                      dst_path=str(s.var_dir / "download"))).read_text()
    assert logged == html
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', logged)
    assert len(sources) == 3 and all(src.startswith("data:image/") for src in sources), [x[:40] for x in sources]

    export = run_export(s)
    assert list(export.variants) == ["fp32", "fp16", "int8"]
    sizes = {v: d["size_mb"] for v, d in export.variants.items()}
    assert sizes["int8"] < sizes["fp16"] < sizes["fp32"]
    assert export.variants["fp32"]["agreement"] > 0.99 and export.variants["fp32"]["fit"]
    for variant, d in export.variants.items():
        assert d["fit"] == (d["iou_drop"] <= s.config.export.iou_tolerance)
    artifacts = {a.path for a in client.list_artifacts(report.run_id, ARTIFACT_DIR)}
    assert f"{ARTIFACT_DIR}/{tflite_name('int8')}" in artifacts

    first = run_promote(s)
    assert first.promoted and first.reason == "no champion yet"
    version = client.get_model_version_by_alias(s.config.mlflow.registered_model, CHAMPION)
    assert str(version.version) == first.version and float(version.tags["test_mean_iou"]) == report.student["test_mean_iou"]
    assert version.tags["tflite.int8.fit"] in ("true", "false") and "size_mb.int8" in version.tags
    assert f"Test IoU: {report.student['test_mean_iou']:.3f}" in version.description
    assert version.description.startswith("Trained on ") and "pseudo-labels by grabcut" in version.description
    assert "MobileNetV2" in client.get_registered_model(s.config.mlflow.registered_model).description

    # A second version that would have to beat the champion by more than IoU can: it stays challenger. Whatever
    # it scores, it cannot win, so it is registered untrained (no epoch) and exported as fp32 alone.
    strict = make_settings(s.var_dir.parent, s.shop_dir, label={"labeller": "grabcut"},
                           train={**s.config.train.model_dump(), "epochs_frozen": 0, "epochs_finetune": 0},
                           mlflow={"tracking_uri": s.mlflow_tracking_uri}, promote={"margin": 1.01},
                           **{**FAST, "export": {**FAST["export"], "variants": ["fp32"]}})
    run_train(strict)
    run_evaluate(strict)
    run_export(strict)
    second = run_promote(strict)
    assert not second.promoted and second.previous_champion == first.version
    assert second.reason.startswith(f"does not beat v{first.version} by the margin 1.01 "), second.reason
    assert second.champion_score == pytest.approx(report.student["test_mean_iou"], abs=1e-4)  # re-scored, same split
    model = s.config.mlflow.registered_model
    assert str(client.get_model_version_by_alias(model, CHAMPION).version) == first.version
    assert str(client.get_model_version_by_alias(model, CHALLENGER).version) == second.version

    # An export that is not of the evaluated version is refused, not promoted.
    (s.tflite_dir / "export_report.json").write_text(json.dumps({"model_version": "99", "variants": {}}))
    with pytest.raises(ValueError, match="export is of v99"):
        run_promote(strict)
