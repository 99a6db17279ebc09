"""The trained student as the later stages (evaluation, release) read it: the last ``run_train``'s report, its
saved model and its class list."""

from __future__ import annotations

import json

import keras

from prodseg.classes import ClassList
from prodseg.settings import Settings


def load_trained(settings: Settings) -> tuple[dict, keras.Model]:
    """The last ``run_train``'s report (model name, version, run id) and its saved model."""
    report = json.loads(settings.train_report_path.read_text())
    return report, keras.models.load_model(settings.student_path)


def trained_classes(settings: Settings, model: keras.Model | None = None) -> ClassList:
    """The saved student's class list (``data/models/classes.json``); checked against ``model``'s outputs."""
    classes = ClassList.load(settings.model_classes_path)
    if model is not None and model.output_shape[-1] != len(classes):
        raise ValueError(f"{settings.model_classes_path} lists {len(classes)} classes but the model has "
                         f"{model.output_shape[-1]} outputs: train again")
    return classes
