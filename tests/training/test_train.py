"""Tiny real training runs: 64x64, a few images, a few steps."""

import json
import re

import keras
import mlflow
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from PIL import Image

from prodseg.classes import ClassList
from prodseg.settings import REPO_ROOT, TrainConfig
from training.metrics import confusion, mean_iou
from training.model import build_student
from training.tracking import data_revision, git_commit
from training.split import run_split
from training.train import compile_student, fit_student, run_train
from training.trained import load_trained, trained_classes
from tests.conftest import TINY_TRAIN, make_settings

def true_pairs(shop_dir, n=4, size=64):
    truth = pd.read_parquet(shop_dir / "truth" / "images.parquet")
    rows = truth[(truth["shot"] == "studio") & truth["fault"].isna()].head(n)
    images = np.stack([np.asarray(Image.open(shop_dir / "site" / "img" / "p" / f).convert("RGB").resize((size, size)),
                                  np.float32) for f in rows["file"]])
    masks = np.stack([np.asarray(Image.open(shop_dir / "truth" / m).resize((size, size), Image.NEAREST))
                      for m in rows["mask"]])
    return images, masks


def test_the_student_overfits_four_images(faulty_shop):
    keras.utils.set_random_seed(0)
    images, masks = true_pairs(faulty_shop)
    model, _ = build_student(64, width=0.35, decoder_filters=(32, 24, 16, 16), num_classes=9)
    compile_student(model, "adam", 0.003, dice_weight=0.5)
    losses = model.fit(images, masks, batch_size=4, epochs=180, verbose=0).history["loss"]
    assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:3])  # the loss falls, and the four images are learnt
    predicted = model.predict(images, verbose=0).argmax(-1)  # inference mode: BN moving statistics
    assert mean_iou(confusion(masks, predicted, 9)) > 0.85


def test_cosine_schedule_anneals_phase_two():
    images = np.random.default_rng(0).uniform(0, 255, (4, 64, 64, 3)).astype(np.float32)
    masks = np.zeros((4, 64, 64), np.uint8)
    masks[:, 16:48, 16:48] = 2
    ds = tf.data.Dataset.from_tensor_slices((images, masks)).batch(4)
    cfg = TrainConfig(**{**TINY_TRAIN, "epochs_finetune": 2, "lr_schedule": "cosine"})
    result = fit_student(cfg, ds, ds, "adam", 0.003, 0.001, verbose=0, num_classes=3)
    # Phase 2's last epoch (1 of 0..1) runs at half the rate on the way to 0.
    assert float(result.model.optimizer.learning_rate.numpy()) == pytest.approx(0.0005)
    assert len(result.history["val_mean_iou"]) == 3


def test_run_train_tracks_registers_and_the_version_loads_back(split_settings, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    s = split_settings
    report = run_train(s)
    client = mlflow.MlflowClient(s.mlflow_tracking_uri)
    run = client.get_run(report.run_id)
    assert run.data.params["train.image_size"] == "64" and "data.manifest_sha256" in run.data.params
    # Named and tagged by what made it; the encoder weights asked for and used are both there.
    assert re.fullmatch(r"train \d{4}-\d\d-\d\d \d\d:\d\d ([0-9a-f]{7}|unknown)", run.info.run_name)
    tags = run.data.tags
    assert tags["git.commit"] == git_commit(REPO_ROOT) and tags["dagster.run_id"] == "none"
    assert tags["data.revision"] == data_revision(s) and tags["data.revision"].startswith("labels:")
    assert tags["labels.teacher"].startswith("grabcut")
    assert run.data.params["encoder.weights_requested"] == "none" == run.data.params["encoder.weights_used"]
    assert "train.encoder_weights" not in run.data.params
    assert report.encoder_weights_used == "none" and not report.pretrained_encoder
    version = client.get_model_version(report.model_name, report.model_version)
    # The demo keeps its eight, ids unchanged; the run and the version carry the list.
    demo = ["couch", "chair", "bed", "vase", "bowl", "cup", "wine-glass", "potted-plant"]
    assert report.classes == demo and ClassList.load(s.model_classes_path).products == tuple(demo)
    assert json.loads(tags["classes"]) == demo == json.loads(version.tags["classes"])
    assert mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/classes.json") == {"classes": ["background", *demo]}
    assert "; classes couch, chair, bed, vase, bowl, cup, wine-glass, potted-plant;" in version.description
    assert "8 furniture" not in client.get_registered_model(report.model_name).description
    assert version.description.startswith(f"Trained on {run.data.params['data.train_images']} images")
    assert f"val mean IoU {report.best_val_mean_iou:.3f}" in version.description
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.name == s.config.mlflow.experiment
    assert run.info.artifact_uri.startswith((s.mlflow_dir / "artifacts").as_uri())  # not ./mlruns
    assert len(client.get_metric_history(report.run_id, "val_mean_iou")) == 2  # one per epoch, both phases
    artifacts = {a.path for a in client.list_artifacts(report.run_id, "plots")}
    assert artifacts == {"plots/learning_curves.png", "plots/val_predictions.png"}
    assert (s.models_dir / "student.keras").exists()

    loaded = mlflow.tensorflow.load_model(f"models:/{report.model_name}/{report.model_version}")
    out = loaded.predict(np.zeros((1, 64, 64, 3), np.float32), verbose=0)
    assert out.shape == (1, 64, 64, 9)
    second = run_train(s)
    assert int(second.model_version) == int(report.model_version) + 1


def test_a_three_class_list_trains_a_head_of_four_outputs(split_settings, monkeypatch):
    """The labels' list decides the head: three classes (the others' labels left out), four outputs."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    s = split_settings
    three = ClassList(("bed", "chair", "couch"))    # not the demo's order: ids come from this list
    three.save(s.label_classes_path)
    run_split(s)
    manifest = pd.read_parquet(s.splits_dir / "splits.parquet")
    assert set(manifest["class_name"]) == set(three.products)
    assert [three.id(n) for n in manifest["class_name"]] == manifest["class_id"].tolist()
    report = run_train(s)
    _, model = load_trained(s)
    assert model.output_shape[-1] == 4 and trained_classes(s, model) == three and report.classes == list(three.products)
    client = mlflow.MlflowClient(s.mlflow_tracking_uri)
    assert json.loads(client.get_run(report.run_id).data.tags["classes"]) == ["bed", "chair", "couch"]
    assert json.loads(client.get_model_version(report.model_name, report.model_version).tags["classes"]) == \
        ["bed", "chair", "couch"]
    ClassList(("bed", "chair")).save(s.model_classes_path)
    with pytest.raises(ValueError, match="lists 3 classes but the model has 4 outputs"):
        trained_classes(s, model)


def test_sweep_runs_each_grid_point_as_a_nested_run_and_keeps_the_best(split_settings, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    s = make_settings(split_settings.var_dir.parent, split_settings.shop_dir, label={"labeller": "grabcut"},
                      train={**TINY_TRAIN, "epochs_finetune": 0,
                             "sweep": {"optimizers": ["adam", "sgd"], "learning_rates": [0.001]}},
                      mlflow={"tracking_uri": split_settings.mlflow_tracking_uri})
    report = run_train(s, sweep=True)
    client = mlflow.MlflowClient(s.mlflow_tracking_uri)
    parent = client.get_run(report.run_id)
    children = client.search_runs([parent.info.experiment_id],
                                  filter_string=f"tags.mlflow.parentRunId = '{report.run_id}'")
    assert len(children) == 2 == len(report.sweep)
    best = max(report.sweep, key=lambda g: g["best_val_mean_iou"])
    assert parent.data.params["best.optimizer"] == best["optimizer"]
