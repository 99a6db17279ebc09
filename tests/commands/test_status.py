"""`prodseg status` says which encoder weights the student started from, as the MLflow run does."""

import json

from commands.status import _stage_lines
from tests.conftest import make_settings


def _student_line(settings, **report) -> str:
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    base = {"best_val_mean_iou": 0.9, "params": 2_000_000, "model_name": "m", "model_version": "3",
            "model_path": "student.keras"}
    (settings.models_dir / "train_report.json").write_text(json.dumps({**base, **report}))
    return next(line for line in _stage_lines(settings) if line.startswith("student:"))


def test_the_weights_used_are_named_and_the_ones_asked_for_when_they_differ(tmp_path):
    settings = make_settings(tmp_path, tmp_path / "shop")
    line = _student_line(settings, encoder_weights_used="none", encoder_weights_requested="imagenet")
    assert "encoder weights none (asked: imagenet)" in line
    assert "encoder weights npm," in _student_line(settings, encoder_weights_used="npm", encoder_weights_requested="npm")
    # A report from before the field existed still reads.
    assert "encoder weights pretrained," in _student_line(settings, pretrained_encoder=True)


def test_each_stages_class_list_is_shown_and_a_stale_one_is_flagged(tmp_path):
    from prodseg.classes import ClassList
    from commands.status import _class_lines

    settings = make_settings(tmp_path, tmp_path / "shop")
    assert _class_lines(settings) == []
    ClassList(("table", "chair")).save(settings.catalog_classes_path)
    ClassList(("table", "chair")).save(settings.label_classes_path)
    ClassList(("couch",)).save(settings.model_classes_path)
    assert _class_lines(settings) == ["classes (catalog): 2: table, chair", "classes (labels): 2: table, chair",
                                      "classes (model): 1: couch (differs from the catalog's: run the stages after it)"]
