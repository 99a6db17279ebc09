"""Serving the registry's champion: variant choice, the Keras fallback, clear errors, reload without restart."""

from __future__ import annotations

import os
import shutil

import httpx
import mlflow.tensorflow
import numpy as np
import pytest
from mlflow import MlflowClient

from prodseg.rle import decode_rle
from release.registry import CHAMPION
from release.tflite import classes_beside, tflite_name
from serving.app import create_app
from serving.model_source import ModelUnavailable, resolve
from serving.predictor import Predictor
from serving.server import running_server
from tests.serving.helpers import DEMO, NAME, dark_model, encoded, photo, register, serve_settings


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # the settings' sqlite store, not the developer's
    return tmp_path


def test_champion_serves_the_first_fit_variant_with_its_metrics(root, models_dir):
    settings = serve_settings(root)
    dark = models_dir / "dark-int8.tflite"
    register(settings, {"int8": dark, "fp16": dark},
             {"tflite.int8.fit": "false", "tflite.fp16.fit": "true", "test_mean_iou": 0.81, "size_mb.int8": 0.002,
              "size_mb.fp16": 0.004, "data_revision": "abc123"})
    source = resolve(settings)
    assert (source.version, source.variant, source.aliases) == ("1", "fp16", (CHAMPION,))
    assert source.path == settings.var_dir / "serve" / "models" / f"{NAME}-v1" / tflite_name("fp16")
    assert source.path.read_bytes() == dark.read_bytes()
    assert source.metrics == {"best_val_mean_iou": 0.75, "test_mean_iou": 0.81}
    assert source.sizes_mb == {"int8": 0.002, "fp16": 0.004}
    assert source.tags["data_revision"] == "abc123"
    assert resolve(settings).path == source.path  # cached: found, not downloaded again


def test_keras_fallback_from_the_registered_model(root, models_dir):
    saved = root / "saved-model"
    mlflow.tensorflow.save_model(dark_model(), saved, pip_requirements=["keras"])  # what log_model registers
    settings = serve_settings(root, prefer=["int8", "keras"])
    register(settings, {}, keras_dir=saved)
    source = resolve(settings)
    assert source.variant == "keras" and source.path.suffix == ".keras"
    predictor = Predictor(source, settings, workers=1)
    assert predictor.size == (64, 64)
    [found] = predictor.predict(encoded(photo()))["predictions"]
    assert found["label"] == "couch"


def test_no_champion_and_no_servable_variant_are_clear_errors(root, models_dir):
    settings = serve_settings(root)
    db = root / "mlflow.db"
    with pytest.raises(ModelUnavailable, match=r"no champion in sqlite:///.*mlflow\.db; run `make demo` or pass"):
        resolve(settings)
    assert not db.exists()  # looking did not create a store
    register(settings, {"int8": models_dir / "dark-int8.tflite"}, {"tflite.int8.fit": "false"})
    with pytest.raises(ModelUnavailable, match="int8: marked unfit; fp16: no tflite/student-fp16.tflite artifact"):
        resolve(settings)


def test_reload_swaps_in_a_new_champion_without_a_restart(root, models_dir, student_int8):
    settings = serve_settings(root)
    register(settings, {"int8": student_int8})
    with running_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/model").json()["version"] == "1"
        data = encoded(photo(96, 80))
        body = client.post("/predict", files={"image": ("a.png", data)}).json()
        assert body["model"] == {"name": NAME, "version": "1", "variant": "int8"}
        for found in body["predictions"]:  # an untrained student: any classes, but well-formed
            assert decode_rle(found["mask"]).shape == (80, 96) and decode_rle(found["mask"]).sum() == found["area"]

        register(settings, {"int8": models_dir / "dark-int8.tflite"}, {"test_mean_iou": 0.9})
        reload = client.post("/reload").json()
        assert reload["reloaded"] is True and reload["previous"]["version"] == "1"
        assert reload["model"] == {"name": NAME, "version": "2", "variant": "int8"}
        model = client.get("/model").json()
        assert model["version"] == "2" and model["aliases"] == [CHAMPION] and model["metrics"]["test_mean_iou"] == 0.9
        [found] = client.post("/predict", files={"image": ("a.png", data)}).json()["predictions"]
        assert found["label"] == "couch" and np.abs(np.array(found["box"]) - [19, 24, 77, 72]).max() <= 4
        assert client.post("/reload").json()["reloaded"] is False

        MlflowClient(settings.mlflow_tracking_uri).delete_registered_model_alias(NAME, CHAMPION)
        failed = client.post("/reload")
        assert failed.status_code == 503
        assert failed.json()["error"].endswith(f"; still serving {NAME} v2 (int8)")
        assert client.get("/health").json()["model"]["version"] == "2"


def test_reload_picks_up_a_model_file_replaced_at_the_same_path(root, models_dir, student_int8):
    served = root / "model.tflite"
    shutil.copyfile(student_int8, served)
    DEMO.save(classes_beside(served))   # the list a model file carries beside it
    settings = serve_settings(root, model=str(served))
    data = encoded(photo(96, 80))
    with running_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        def predictions():
            return client.post("/predict", files={"image": ("a.png", data)}).json()["predictions"]

        before = predictions()
        shutil.copyfile(models_dir / "dark-int8.tflite", served)  # copied over it: same path, same inode
        assert predictions() == before  # the running model is the bytes it loaded, not the file now there
        reload = client.post("/reload").json()
        assert reload["reloaded"] is True and reload["model"]["name"] == "model.tflite"
        assert client.get("/model").json()["file_bytes"] == served.stat().st_size
        [found] = predictions()
        assert found["label"] == "couch"
        assert client.post("/reload").json()["reloaded"] is False

        stat = served.stat()
        os.utime(served, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # touched
        assert client.post("/reload").json()["reloaded"] is True
        assert client.post("/reload").json()["reloaded"] is False

        served.write_bytes(b"half a model")  # caught mid-copy: refused, the loaded model keeps serving
        failed = client.post("/reload")
        assert failed.status_code == 503 and "cannot load" in failed.json()["error"]
        assert failed.json()["error"].endswith("; still serving model.tflite (tflite)")
        assert predictions()[0]["label"] == "couch"
