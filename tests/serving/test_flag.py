"""POST /api/flag on the public server: a catalog photo's reference stored once, bounded per client."""

from __future__ import annotations

import shutil

import pandas as pd
import requests

from serving.app import create_app
from serving.server import running_server
from tests.serving.helpers import serve_settings


def test_a_flag_is_stored_once_refused_for_unknown_photos_and_rate_limited(tmp_path, models_dir, catalog_data):
    shutil.copytree(catalog_data, tmp_path / "data")
    settings = serve_settings(tmp_path, tmp_path / "data", model=str(models_dir / "dark-int8.tflite"))
    settings.config.review.flag_rate_per_hour = 3
    shas = list(pd.read_parquet(tmp_path / "data" / "raw" / "catalog.parquet")["image_sha256"])
    with running_server(create_app(settings)) as url:
        post = lambda body: requests.post(f"{url}/api/flag", json=body, timeout=10)  # noqa: E731
        assert post({"image_sha256": "ab" * 32, "reason": "other"}).status_code == 404     # not a catalog photo
        assert post({"image_sha256": shas[0], "reason": "write anything"}).status_code == 422
        assert post({"image_sha256": shas[0], "reason": "part_missing"}).json() == {"success": True, "stored": True}
        assert post({"image_sha256": shas[0], "reason": "other"}).json()["stored"] is False  # once per client
        assert post({"image_sha256": shas[1], "reason": "wrong_product"}).status_code == 200
        refused = post({"image_sha256": shas[2], "reason": "other"})  # the 4th counted (404s and 422s are not)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    flags = pd.read_parquet(tmp_path / "data" / "corrections" / "flags.parquet")
    assert list(flags["image_sha256"]) == shas[:2] and list(flags["reason"]) == ["part_missing", "wrong_product"]
