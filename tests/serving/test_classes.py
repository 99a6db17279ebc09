"""A model carries its class list (issue 23): a shop's own classes (here with `table`) from the registry to
/model, /predict, /segment, the page and the device runtime; a model without one; a switch of champion."""

from __future__ import annotations

import logging
import re
import shutil

import httpx
import keras
import pytest

from prodseg.classes import ClassList
from release.registry import CHALLENGER
from release.tflite import classes_beside, classes_name, tflite_name
from serving.app import create_app
from serving.device import VENDOR
from serving.model_source import ModelUnavailable, from_path
from serving.predictor import Predictor
from serving.server import running_server
from tests.serving.helpers import DEMO, dark_model, encoded, int8, photo, register, serve_settings
from tests.serving.test_web import CHROMIUM, browser_page

SHOP = ClassList(("lamp", "table", "rug"))   # a furniture shop's own classes, not the demo's


@pytest.fixture(scope="module")
def table_files(tmp_path_factory):
    """The dark model with the shop's three classes (dark pixels: a table), as the export leaves it: the int8
    file and its class list beside it."""
    folder = tmp_path_factory.mktemp("table")
    keras.utils.set_random_seed(0)
    model = int8(dark_model(classes=SHOP, dark_class="table"))
    (folder / tflite_name("int8")).write_bytes(model)
    SHOP.save(folder / classes_name("int8"))
    return folder


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


def test_a_registered_model_names_its_own_classes_everywhere(root, table_files, catalog_data):
    settings = serve_settings(root, catalog_data)
    register(settings, {"int8": table_files / tflite_name("int8")}, classes=SHOP)
    with running_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        model = client.get("/model").json()
        assert model["classes"] == ["lamp", "table", "rug"] and model["classes_from"] == "tag classes"
        assert model["class_labels"]["table"] == "Table"
        assert model["device"]["classes"] == ["background", "lamp", "table", "rug"]  # output order, for device.js
        body = client.post("/predict", files={"image": ("t.png", encoded(photo()))}).json()
        assert [p["label"] for p in body["predictions"]] == ["table"] and body["predictions"][0]["class_id"] == 2
        cut = client.post("/segment", files={"image": ("t.png", encoded(photo()))}, data={"label": "table"})
        assert cut.status_code == 200 and cut.headers["X-Label"] == "table"
        refused = client.post("/segment", files={"image": ("t.png", encoded(photo()))}, data={"label": "couch"})
        assert refused.status_code == 400
        assert refused.json()["error"] == "unknown label 'couch'; the model's classes are lamp, table, rug"
        products = client.get("/api/products").json()
        # People's words for the model's classes and the catalog's (couch, chair, vase: a model cannot name them).
        assert products["class_labels"]["table"] == "Table" and products["class_labels"]["couch"] == "Couch"
        catalog_cut = client.get(f"/cutouts/{products['products'][0]['sha256']}.png")
        assert catalog_cut.headers["X-Label"] == "table"
        assert "class_mismatch" not in catalog_cut.headers.get("X-Cutout-Warnings", "")  # couch: not its class
        described = client.get("/openapi.json").json()
        assert "GET /model lists them" in str(described["components"]["schemas"])


def test_a_model_without_a_class_list_is_served_as_class_n_with_a_warning(root, table_files, caplog):
    settings = serve_settings(root)
    register(settings, {"int8": table_files / tflite_name("int8")}, classes=None)
    with caplog.at_level(logging.WARNING, "serving.model_source"):
        app = create_app(settings)
    assert "carries no class list" in caplog.text
    with running_server(app) as url:
        model = httpx.get(f"{url}/model").json()
        assert model["classes"] == ["class-1", "class-2", "class-3"] and model["classes_from"] is None
        [found] = httpx.post(f"{url}/predict", files={"image": ("t.png", encoded(photo()))}, timeout=30).json()[
            "predictions"]
        assert found["label"] == "class-2"


def test_a_model_file_takes_the_list_beside_it_and_refuses_one_of_another_width(tmp_path, table_files):
    served = tmp_path / "shop.tflite"
    shutil.copyfile(table_files / tflite_name("int8"), served)
    SHOP.save(classes_beside(served))
    DEMO.save(tmp_path / "classes.json")   # the folder's list loses to the file's own
    settings = serve_settings(tmp_path)
    source = from_path(served)
    assert source.classes == SHOP and source.classes_from == str(classes_beside(served))
    assert Predictor(source, settings, workers=1).classes == SHOP
    classes_beside(served).unlink()
    with pytest.raises(ModelUnavailable, match=r"names 9 classes with background, the model has 4 outputs"):
        Predictor(from_path(served), settings, workers=1)
    (tmp_path / "classes.json").write_text('{"classes": ["background", "Not A Name"]}')
    with pytest.raises(ModelUnavailable, match=r"class list .*classes.json is unreadable: invalid class names"):
        from_path(served)


def test_a_new_champion_brings_its_class_list_and_the_canary_keeps_its_own(root, models_dir, table_files):
    settings = serve_settings(root, canary_share=0.5)
    register(settings, {"int8": models_dir / "dark-int8.tflite"})   # the demo's eight
    register(settings, {"int8": table_files / tflite_name("int8")}, classes=SHOP, alias=CHALLENGER)
    with running_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        model = client.get("/model").json()
        assert model["classes"] == list(DEMO.products) and model["canary"]["challenger"]["classes_from"]
        labels = {p["label"] for _ in range(20)
                  for p in client.post("/predict", files={"image": ("t.png", encoded(photo()))}).json()["predictions"]}
        assert labels == {"couch", "table"}   # each model names with its own list, whichever answers
        register(settings, {"int8": table_files / tflite_name("int8")}, classes=SHOP)   # v3: the new champion
        assert client.post("/reload").json()["reloaded"] is True
        assert client.get("/model").json()["classes"] == list(SHOP.products)
        assert client.get("/model").json()["device"]["classes"] == list(SHOP.names)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)")
@pytest.mark.skipif(not VENDOR.is_dir(), reason="needs LiteRT.js from npm (make install runs npm ci)")
def test_the_page_and_the_device_runtime_name_the_models_classes(root, table_files, catalog_data, tmp_path):
    from playwright.sync_api import expect

    settings = serve_settings(root, catalog_data)
    register(settings, {"int8": table_files / tflite_name("int8")}, classes=SHOP)
    path = tmp_path / "my-table.png"
    path.write_bytes(encoded(photo(240, 180, (0.3, 0.3, 0.7, 0.8))))
    with running_server(create_app(settings)) as url, browser_page(url) as (page, errors):
        expect(page.locator("#model-classes")).to_have_text("Lamp, Table, Rug")
        page.locator(".product").first.wait_for()
        assert page.locator("#where").input_value() == "device"
        page.set_input_files("#product-upload", str(path))
        expect(page.locator("#cutout-status")).to_have_text(
            re.compile(r"^my-table\.png: Table \(score [\d.]+\), computed on this device in \d+ ms$"))
        page.fill("#search", "table")   # the gallery's search knows no table: the catalog sells none
        expect(page.locator(".product")).to_have_count(0)
    assert not errors, errors


def test_the_review_pickers_classes_are_the_labels_list(tmp_path):
    import pandas as pd

    from corrections.review import label_classes

    settings = serve_settings(tmp_path)
    settings.labels_dir.mkdir(parents=True)
    pd.DataFrame({"class_name": ["table", "lamp", None, "table"]}).to_parquet(settings.labels_dir / "labels.parquet")
    assert label_classes(settings) == ["lamp", "table"]   # labels drawn before they carried a list: what they hold
    SHOP.save(settings.label_classes_path)
    assert label_classes(settings) == ["lamp", "table", "rug"]   # the list they were drawn with, in its order
