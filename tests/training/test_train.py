"""Tiny real training runs: 64x64, a few images, a few steps."""

import json
import re
from types import SimpleNamespace

import keras
import mlflow
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from prodseg.classes import ClassList
from prodseg.settings import REPO_ROOT
from training.metrics import confusion, mean_iou
from training.model import build_student
from training.tracking import data_revision, git_commit
from training.split import run_split
from training.train import compile_student, run_train
from training.trained import load_trained, trained_classes
from tests.conftest import TINY_TRAIN, copy_labelled, make_settings

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


@pytest.fixture(scope="module")
def retrained(tmp_path_factory, labelled_root, faulty_shop):
    """One root trained twice, as a user retrains: first the demo's eight classes, then a three-class list with the
    cosine schedule over two finetune epochs. Each test checks its own facts of these two runs; what the second run
    overwrites of the first (its class file, its model) is read before it runs."""
    root = tmp_path_factory.mktemp("retrained")
    copy_labelled(labelled_root, root)
    common = {"label": {"labeller": "grabcut"}, "mlflow": {"tracking_uri": f"sqlite:///{root}/mlflow.db"}}
    first_settings = make_settings(root, faulty_shop, train=TINY_TRAIN, **common)
    second_settings = make_settings(root, faulty_shop, **common,
                                    train={**TINY_TRAIN, "epochs_finetune": 2, "lr_schedule": "cosine"})
    # The module's tests run inside this context too: Settings.mlflow_tracking_uri reads MLFLOW_TRACKING_URI at
    # each call, and an earlier test's MLflow left it set (mlflow.set_tracking_uri exports it).
    with pytest.MonkeyPatch.context() as env:
        env.delenv("MLFLOW_TRACKING_URI", raising=False)
        run_split(first_settings)
        first = run_train(first_settings)
        first_files = {"classes": ClassList.load(first_settings.model_classes_path),
                       "student": (first_settings.models_dir / "student.keras").exists()}
        ClassList(("bed", "chair", "couch")).save(second_settings.label_classes_path)  # not the demo's order
        run_split(second_settings)
        second = run_train(second_settings)
        yield SimpleNamespace(first_settings=first_settings, first=first, first_files=first_files,
                              second_settings=second_settings, second=second)


def test_run_train_tracks_registers_and_the_version_loads_back(retrained):
    s, report = retrained.first_settings, retrained.first
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
    assert report.classes == demo and retrained.first_files["classes"].products == tuple(demo)
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
    assert retrained.first_files["student"]

    loaded = mlflow.tensorflow.load_model(f"models:/{report.model_name}/{report.model_version}")
    out = loaded.predict(np.zeros((1, 64, 64, 3), np.float32), verbose=0)
    assert out.shape == (1, 64, 64, 9)
    # Retraining registers the next version of the same model.
    assert retrained.second.model_name == report.model_name
    assert int(retrained.second.model_version) == int(report.model_version) + 1


def test_a_three_class_list_trains_a_head_of_four_outputs(retrained):
    """The labels' list decides the head: three classes (the others' labels left out), four outputs."""
    s, report = retrained.second_settings, retrained.second
    three = ClassList(("bed", "chair", "couch"))    # ids come from this list
    manifest = pd.read_parquet(s.splits_dir / "splits.parquet")
    assert set(manifest["class_name"]) == set(three.products)
    assert [three.id(n) for n in manifest["class_name"]] == manifest["class_id"].tolist()
    _, model = load_trained(s)
    assert model.output_shape[-1] == 4 and trained_classes(s, model) == three and report.classes == list(three.products)
    client = mlflow.MlflowClient(s.mlflow_tracking_uri)
    assert json.loads(client.get_run(report.run_id).data.tags["classes"]) == ["bed", "chair", "couch"]
    assert json.loads(client.get_model_version(report.model_name, report.model_version).tags["classes"]) == \
        ["bed", "chair", "couch"]
    try:
        ClassList(("bed", "chair")).save(s.model_classes_path)
        with pytest.raises(ValueError, match="lists 3 classes but the model has 4 outputs"):
            trained_classes(s, model)
    finally:
        three.save(s.model_classes_path)  # the module's run stays as it was made


def test_cosine_schedule_anneals_phase_two(retrained):
    s, report = retrained.second_settings, retrained.second
    client = mlflow.MlflowClient(s.mlflow_tracking_uri)
    rates = [m.value for m in sorted(client.get_metric_history(report.run_id, "learning_rate"), key=lambda m: m.step)]
    assert len(client.get_metric_history(report.run_id, "val_mean_iou")) == 3  # one frozen epoch, two finetune
    # Phase 2 starts at its full rate; its last epoch (1 of 0..1) runs at half the rate on the way to 0.
    lr = s.config.train.finetune_learning_rate
    assert rates[-2:] == [pytest.approx(lr), pytest.approx(lr / 2)]


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
