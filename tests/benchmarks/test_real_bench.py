"""benchmarks/real_bench.py on a handful of the real photos, every stage real (tiny training, GrabCut), so the
real-photo benchmark cannot rot: shop built and served, crawled through config/sites/realphotos.yaml,
labelled, audited vs the true masks, trained, scored."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from PIL import Image

from prodseg.settings import REPO_ROOT
from serving.device import VENDOR
from tests.conftest import TINY_TRAIN
from tests.system import needs_chromium

PHOTOS = REPO_ROOT.parent / "shared" / "realphotos"
# Nine photos: four of the chair class (two shop words) and three tables, so split 40/30/30 puts one of each in
# the test split; a sofa and a plant pot; studio and room shots.
PICK = {"table": 3, "swivel chair": 3, "chair": 1, "sofa": 1, "plant pot": 1}

pytestmark = pytest.mark.skipif(not (PHOTOS / "meta.csv").exists(),
                                reason=f"the real photos are not here ({PHOTOS} is absent)")


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A folder laid out like ../shared/realphotos with nine of its photos, studio and room shots."""
    meta = pd.read_csv(PHOTOS / "meta.csv", dtype=str)
    picked = pd.concat([meta[meta["class"] == word].sort_values("kind", kind="stable").iloc[::-1].head(n)
                        if n > 1 else meta[meta["class"] == word].head(n) for word, n in PICK.items()])
    root = tmp_path_factory.mktemp("photos")
    for sub, ext in (("images", "jpg"), ("masks", "png")):
        (root / sub).mkdir()
        for name in picked["name"]:
            shutil.copyfile(PHOTOS / sub / f"{name}.{ext}", root / sub / f"{name}.{ext}")
    picked.to_csv(root / "meta.csv", index=False)
    return root


@pytest.fixture(scope="module")
def bench(photos, tmp_path_factory):
    """The bench run as a user runs it, tiny: its figures, folders and output."""
    root = tmp_path_factory.mktemp("bench")
    # min_score 0: GrabCut is unsure of most real photos; the test is of the flow, the bench's figures of quality.
    # Batches of two and quick BatchNorm statistics: at one step an epoch the random-init student answers
    # background everywhere at inference, and the served model would have nothing to name.
    sets = ["label.labeller=grabcut", "label.min_score=0", "label.workers=1", "split.train=0.4", "split.val=0.3", "split.test=0.3",
            *(f"train.{k}={v}" for k, v in TINY_TRAIN.items()), "train.batch_size=2", "train.bn_momentum=0.5",
            "train.epochs_finetune=3"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRODSEG", "MLFLOW"))}
    env.update(PYTHONPATH=str(REPO_ROOT), PRODSEG_VAR=str(root / "user-var"))  # the user's registry: none
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "real_bench.py"), "--photos", str(photos),
         "--var", str(root / "var"), *(a for s in sets for a in ("--set", s))],
        cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    return root, json.loads((root / "real_bench.json").read_text()), result.stdout


def test_the_shop_is_crawled_with_every_photo_and_its_class(bench, photos):
    root, figures, _ = bench
    catalog = pd.read_parquet(root / "data" / "raw" / "catalog.parquet")
    assert len(catalog) == figures["products"] == sum(PICK.values())
    assert catalog["class_name"].notna().all()   # every shop word names a class, `table` included
    assert catalog["class_name"].value_counts().to_dict() == {"chair": 4, "table": 3, "couch": 1, "potted-plant": 1}
    assert set(catalog["currency"]) == {"USD", "EUR"} and catalog["price"].gt(0).all()
    truth = pd.read_parquet(root / "var" / "photo-shop" / "truth" / "images.parquet")
    assert set(truth["image_sha256"]) == set(catalog["image_sha256"])   # the hash of the bytes served
    assert set(truth["shot"]) == {"studio", "room"}


def test_labels_are_audited_against_the_true_masks(bench):
    root, figures, _ = bench
    labels = figures["labels"]
    assert labels["labeller"] == "grabcut" and labels["photos"] == sum(PICK.values())
    assert "unknown_class" not in labels["rejected"]["reasons"]
    assert labels["drawn"]["n"] == labels["drawn"]["n_studio"] + labels["drawn"]["n_room"] > 0
    assert 0.3 < labels["drawn"]["all"] <= 1   # GrabCut on real photos: far from perfect, far from nothing
    assert set(labels["per_class"]) == {"chair", "table", "couch", "potted-plant"}
    assert labels["accepted"]["n"] + labels["rejected"]["count"] == sum(PICK.values())
    audit = pd.read_parquet(root / "data" / "labels" / "audit.parquet")   # labelling's own audit found the truth
    assert len(audit) == labels["drawn"]["n"]


def test_the_student_is_trained_and_scored_on_the_test_photos(bench):
    root, figures, stdout = bench
    student = figures["student"]
    assert student["n"] == figures["split"]["images"]["test"] >= 1
    assert 0 <= student["all"] <= 1 and 0 <= student["class_right"] <= 1
    assert "absent: no MLflow registry at" in stdout   # the user's var/ has no champion
    assert figures["champion"]["absent"].startswith("no MLflow registry")
    assert set(figures["seconds"]) == {"shop", "crawl", "label", "train", "score", "serve", "gallery", "total"}
    assert (root / "worst_labels.png").is_file() and Image.open(root / "worst_labels.png").width == 480
    assert "| label IoU vs truth, accepted |" in (root / "real_bench.md").read_text()


def test_a_champion_in_the_registry_is_scored_on_the_same_photos(bench):
    """The champion column, from a registry that has one: here the bench's own student made champion."""
    from mlflow import MlflowClient

    from benchmarks.real_scores import load_champion, score_model, split_truth_photos
    from prodseg.settings import Settings

    root, figures, _ = bench
    uri = f"sqlite:///{root / 'var' / 'mlflow' / 'mlflow.db'}"
    settings = Settings.load({"paths": {"var": str(root / "var"), "data": str(root / "data"),
                                        "shop": str(root / "var" / "photo-shop")}}, environ={})
    assert load_champion(uri, "prodseg-student").why_absent.startswith("no `champion` alias")
    MlflowClient(uri, registry_uri=uri).set_registered_model_alias("prodseg-student", "champion", "1")
    champion = load_champion(uri, "prodseg-student")
    assert champion.version == "1" and champion.model is not None
    scores = score_model(champion.model, champion.classes, split_truth_photos(settings), settings)
    assert scores["all"] == pytest.approx(figures["student"]["all"], abs=1e-4)   # the same model, the same photos


def test_the_trained_student_is_served_with_its_classes_and_predict_names_one(bench):
    """The bench's student, exported by the export stage and served by `prodseg serve`: /model lists the site's
    classes, `table` among them, read from the file beside the model; /predict names each test photo from them."""
    root, figures, stdout = bench
    served = figures["serve"]
    assert served["classes"] == ["bed", "chair", "couch", "table", "potted-plant"]   # config/sites/realphotos.yaml's
    assert served["file"] == "student-int8.tflite" and served["classes_from"].endswith("student-int8.classes.json")
    assert (root / "data" / "tflite" / "student-int8.classes.json").is_file()
    photos = served["photos"]
    assert len(photos) == figures["student"]["n"]
    [table] = [p for p in photos if p["class"] == "table"]
    assert table["predict"] in served["classes"], table   # the tiny model may name a wrong one, not one of its own
    assert all(p["predict"] in [*served["classes"], None] for p in photos), photos   # None: no product found
    assert served["predict"]["n"] == len(photos) and served["predict"]["per_class"]["table"]["n"] >= 1
    assert re.search(r"^\| served, named right table: /predict / page / device \| \d/\d / ", stdout, re.M)


@needs_chromium
@pytest.mark.skipif(not VENDOR.is_dir(), reason="needs LiteRT.js from npm (make install runs npm ci)")
def test_the_page_and_the_device_name_the_table_photo_from_the_models_classes(bench):
    """The test photos uploaded to the page in Chromium, cut out on the server and on the device: the table photo
    is named with one of the model's classes, the one /predict names (the page shows the server's predictor's
    answer; the device runs the very TFLite file /predict runs, on its own resize of the photo)."""
    _, figures, _ = bench
    served = figures["serve"]
    [table] = [p for p in served["photos"] if p["class"] == "table"]
    assert table["predict"] in served["classes"] and table["page"] == table["device"] == table["predict"], table
    for door in ("page", "device"):
        assert served[door]["n"] == len(served["photos"]) and served[door]["per_class"]["table"]["n"] == 1
    assert served["agree"]["n"] == len(served["photos"])


def test_without_chromium_the_page_and_device_rows_say_why(monkeypatch, tmp_path):
    """No browser here: the serve step's page and device doors carry the reason, one table row each."""
    from benchmarks import real_serve
    from benchmarks.real_bench import serve_rows

    monkeypatch.setattr(real_serve, "CHROMIUM", str(tmp_path / "no-chromium"))
    missing = real_serve.browser_missing()
    why = f"no {tmp_path / 'no-chromium'} (`sudo apt-get install chromium`)"
    assert missing == {"page": why, "device": why}
    predict = real_serve.named_right(["table", "chair", "table"], ["table", "table", None])
    assert predict == {"right": 1, "n": 3, "per_class": {"chair": {"right": 0, "n": 1}, "table": {"right": 1, "n": 2}}}
    rows = serve_rows({"file": "student-int8.tflite", "fit": True, "classes": ["chair", "table"], "predict": predict,
                       **{door: {"absent": why} for door, why in missing.items()}, "agree": {"same": 0, "n": 0}})
    assert ["served, named right table: /predict / page / device", "1/2 / absent / absent", "", ""] in rows
    assert [r[1] for r in rows if r[0] in ("served, page", "served, device")] == [f"absent: {missing['page']}"] * 2
