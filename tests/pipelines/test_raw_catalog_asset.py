"""`dagster asset materialize` of raw_catalog, for real, in a temp DAGSTER_HOME."""

import os
import socket
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey, DagsterInstance

from prodseg.settings import REPO_ROOT
from scrapers.catalog import load_catalog


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_materialize_raw_catalog_generates_serves_and_crawls_the_demo_shop(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "config" / "dagster.yaml").read_text())
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PRODSEG")},
        "DAGSTER_HOME": str(home),
        "PRODSEG_VAR": str(tmp_path / "var"),
        "PRODSEG_DATA": str(tmp_path / "data"),
        "PRODSEG__SHOP__PRODUCTS": "8",
        "PRODSEG__SHOP__PORT": str(free_port()),
    }
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(dagster), "asset", "materialize", "-m", "pipelines", "--select", "raw_catalog"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    catalog = load_catalog(tmp_path / "data" / "raw" / "catalog.parquet")
    assert catalog["product_id"].nunique() == 8
    with DagsterInstance.from_config(str(home)) as instance:
        event = instance.get_latest_materialization_event(AssetKey("raw_catalog"))
    metadata = event.asset_materialization.metadata
    assert metadata["rows"].value == len(catalog)
    assert sum(metadata["rows_per_class"].value.values()) == len(catalog)
    assert metadata["product_pages_per_s"].value > 0
