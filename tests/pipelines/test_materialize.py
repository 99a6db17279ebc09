"""`dagster asset materialize` of the asset graph, for real, in a temp DAGSTER_HOME."""

import os
import socket
import subprocess
import sys
from pathlib import Path

from dagster import AssetCheckKey, AssetKey, DagsterInstance

from prodseg.settings import REPO_ROOT
from scrapers.catalog import load_catalog


# Enough to run every stage for real, small enough for CI.
TINY_TRAIN = {"image_size": "64", "width": "0.35", "decoder_filters": "[32, 24, 16, 16]", "encoder_weights": "none",
              "batch_size": "8", "epochs_frozen": "1", "epochs_finetune": "1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_materialize_all_generates_serves_crawls_labels_splits_and_trains(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "config" / "dagster.yaml").read_text())
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PRODSEG", "MLFLOW"))},
        "DAGSTER_HOME": str(home),
        "PRODSEG_VAR": str(tmp_path / "var"),
        "PRODSEG_DATA": str(tmp_path / "data"),
        "PRODSEG__SHOP__PRODUCTS": "16",
        "PRODSEG__SHOP__PORT": str(free_port()),
        **{f"PRODSEG__TRAIN__{k.upper()}": v for k, v in TINY_TRAIN.items()},
    }
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(dagster), "asset", "materialize", "-m", "pipelines", "--select", "*"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    catalog = load_catalog(tmp_path / "data" / "raw" / "catalog.parquet")
    assert catalog["product_id"].nunique() == 16
    with DagsterInstance.from_config(str(home)) as instance:
        crawl = instance.get_latest_materialization_event(AssetKey("raw_catalog")).asset_materialization.metadata
        labels = instance.get_latest_materialization_event(AssetKey("pseudo_labels")).asset_materialization.metadata
        checks = {name: instance.get_latest_asset_check_evaluation_record(AssetCheckKey(AssetKey("pseudo_labels"), name))
                  for name in ("accepted_share_check", "label_iou_check")}
    assert crawl["rows"].value == len(catalog)
    assert sum(crawl["rows_per_class"].value.values()) == len(catalog)
    assert crawl["product_pages_per_s"].value > 0
    assert labels["images"].value == len(catalog) and labels["labeller"].value == "grabcut"
    assert Path(labels["review_gallery"].value).exists()
    for name, record in checks.items():
        assert record is not None and record.event is not None, f"{name} did not run"
    with DagsterInstance.from_config(str(home)) as instance:
        student = instance.get_latest_materialization_event(AssetKey("student_model")).asset_materialization.metadata
        splits = instance.get_latest_materialization_event(AssetKey("dataset_splits")).asset_materialization.metadata
    assert splits["train_images"].value > 0
    assert student["registered_model"].value == "models:/prodseg-student/1"
    assert Path(student["learning_curves"].value).exists()
