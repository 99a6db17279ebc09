"""A model's class list in export and promotion: the export reads it, promotion checks what a model cannot name
and scores two lists on what they share."""

import hashlib
import json
import logging

import mlflow.tensorflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from PIL import Image

from prodseg.classes import ClassList
from prodseg.settings import Settings
from release.export import trained_classes
from release.model_classes import legacy_classes
from release.promote import cannot_name, catalog_classes, run_promote, shared_comparison, shared_scores
from tests.serving.helpers import dark_model, encoded, photo, register

LABELS = ClassList(("lamp", "table", "rug"))


def test_a_version_must_name_every_class_of_the_catalog(tmp_path):
    settings = Settings.load({"paths": {"data": str(tmp_path)}}, environ={})
    assert catalog_classes(settings) is None and cannot_name("3", None, None) is None   # data from before lists
    ClassList(("lamp", "table")).save(settings.catalog_classes_path)
    assert catalog_classes(settings) == ClassList(("lamp", "table"))
    LABELS.save(settings.label_classes_path)   # the labels' list wins over the crawl's
    assert catalog_classes(settings) == LABELS
    assert cannot_name("3", ClassList(("rug", "lamp", "table", "vase")), LABELS) is None   # order and extras: fine
    assert cannot_name("3", ClassList(("lamp", "couch")), LABELS) == "refused: v3 cannot name the catalog's classes table, rug"
    assert cannot_name("3", None, LABELS).endswith("lamp, table, rug (it carries no class list)")


def test_scores_on_the_shared_classes_rename_a_models_ids_into_the_labels():
    refs = np.zeros((2, 4, 4), np.uint8)
    refs[0, :2, :2] = LABELS.id("table")
    refs[1, 2:, 2:] = LABELS.id("lamp")
    champion = ClassList(("table", "couch"))   # names table (its id 1), not lamp; couch the labels lack
    maps = np.zeros((2, 4, 4), np.uint8)
    maps[0, :2, :2] = champion.id("table")
    maps[1, 2:, 2:] = champion.id("couch")      # the lamp found, named couch: foreground right, class not shared
    scores = shared_scores(maps, champion, refs, LABELS)
    assert scores == {"foreground_iou": 1.0, "per_class_iou": {"table": 1.0}}
    challenger = {"foreground_iou": 0.9, "per_class_iou": {"lamp": 0.5, "table": 0.8, "rug": 0.1}}
    compared = shared_comparison(challenger, scores)
    assert (compared.score, compared.champion_score) == (pytest.approx(0.85), 1.0)
    assert compared.basis == "foreground IoU and the shared classes' IoU (table), as the class lists differ"
    only_fg = shared_comparison(challenger, shared_scores(maps, legacy_classes(3), refs, LABELS))
    assert only_fg.basis.startswith("foreground IoU (no class in common)") and only_fg.score == 0.9


def test_legacy_classes_come_from_the_output_width():
    assert legacy_classes(4).products == ("class-1", "class-2", "class-3")
    with pytest.raises(ValueError, match="at least one class"):
        legacy_classes(1)


def test_the_export_takes_the_trained_models_list_and_checks_its_width(tmp_path, caplog):
    settings = Settings.load({"paths": {"data": str(tmp_path)}}, environ={})
    with caplog.at_level(logging.WARNING, "release.export"):
        assert trained_classes(settings, 4) is None   # trained before models carried a list
    assert "exporting without one (served as class-1..3)" in caplog.text
    LABELS.save(settings.model_classes_path)
    assert trained_classes(settings, 4) == LABELS
    with pytest.raises(ValueError, match=r"lists 4 classes \(background included\), the model has 9 outputs"):
        trained_classes(settings, 9)


@pytest.fixture
def promoting(tmp_path, monkeypatch):
    """A champion v1 naming (couch, table) that cuts the test photo out exactly, a challenger v2 trained on the
    labels' (lamp, table, rug), and the evaluation's report of v2: one test photo, a dark table on white."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    settings = Settings.load({"paths": {"data": str(tmp_path / "data"), "var": str(tmp_path / "var")},
                              "mlflow": {"tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}"}}, environ={})
    blob = encoded(photo(64, 64))
    sha = hashlib.sha256(blob).hexdigest()
    settings.images_dir.mkdir(parents=True)
    (settings.images_dir / f"{sha}.png").write_bytes(blob)
    mask = (np.asarray(photo(64, 64))[..., 0] < 128).astype(np.uint8) * LABELS.id("table")
    (settings.labels_dir / "masks").mkdir(parents=True)
    Image.fromarray(mask).save(settings.labels_dir / "masks" / f"{sha}.png")
    LABELS.save(settings.label_classes_path)
    settings.splits_dir.mkdir(parents=True)
    pd.DataFrame({"image_sha256": [sha], "image_path": [f"images/{sha}.png"], "mask_path": [f"masks/{sha}.png"],
                  "product_id": ["p1"], "class_name": ["table"], "class_id": [LABELS.id("table")],
                  "split": ["test"]}).to_parquet(settings.splits_dir / "splits.parquet")
    champion = ClassList(("couch", "table"))
    saved = tmp_path / "champion"
    mlflow.tensorflow.save_model(dark_model(classes=champion, dark_class="table"), saved, pip_requirements=["keras"])
    register(settings, {}, keras_dir=saved, classes=champion)
    register(settings, {}, alias=None, classes=LABELS)
    LABELS.save(settings.model_classes_path)
    settings.evaluation_dir.mkdir(parents=True)
    report = {"model_name": "prodseg-student", "model_version": "2",
              "student": {"test_mean_iou": 0.99, "test_foreground_iou": 0.9, "box_map50": 0.5, "size_mb": 1.0,
                          "latency_ms": 2.0},
              "models": [{"name": "student", "labels": {"per_class_iou": {"lamp": 0.2, "table": 0.8}}}]}
    (settings.evaluation_dir / "report.json").write_text(json.dumps(report))
    return settings


def test_promotion_compares_differing_lists_on_what_both_answer(promoting):
    result = run_promote(promoting)
    basis = "foreground IoU and the shared classes' IoU (table), as the class lists differ"
    assert result.comparison == basis and not result.promoted   # 0.85 against the champion's exact cut-out
    assert result.score == 0.85 and result.champion_score > 0.95
    assert result.reason.startswith(f"does not beat v1 by the margin 0.005 on {basis}")
    tag = MlflowClient(promoting.mlflow_tracking_uri).get_model_version("prodseg-student", "2").tags["classes"]
    assert tag == '["lamp", "table", "rug"]'


def test_promotion_refuses_a_model_that_cannot_name_the_catalogs_classes(promoting):
    ClassList(("lamp", "table")).save(promoting.model_classes_path)   # the labels have a rug too
    result = run_promote(promoting)
    assert not result.promoted and result.reason == "refused: v2 cannot name the catalog's classes rug"
