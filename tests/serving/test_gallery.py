"""The gallery shows each product by a photo the labeller accepted, when it has one."""

import shutil

import pandas as pd

from serving.gallery import Gallery
from tests.serving.helpers import serve_settings


def test_gallery_prefers_a_photo_with_an_accepted_label(tmp_path, catalog_data):
    data = tmp_path / "data"
    shutil.copytree(catalog_data, data)
    catalog = pd.read_parquet(data / "raw" / "catalog.parquet")
    # Give p1 a second photo (the p2 file), listed after its first: a room shot the labeller rejected first.
    second = catalog[catalog["product_id"] == "p2"].assign(product_id="p1")
    pd.concat([catalog, second]).to_parquet(data / "raw" / "catalog.parquet")
    first_sha = catalog.loc[catalog["product_id"] == "p1", "image_sha256"].iloc[0]
    settings = serve_settings(tmp_path, data)
    assert {p.product_id: p.sha256 for p in Gallery.load(settings).products}["p1"] == first_sha

    (data / "labels").mkdir()
    pd.DataFrame({"image_sha256": [first_sha, second["image_sha256"].iloc[0]], "accepted": [False, True]}
                 ).to_parquet(data / "labels" / "labels.parquet")
    products = {p.product_id: p.sha256 for p in Gallery.load(settings).products}
    assert products["p1"] == second["image_sha256"].iloc[0]
    assert len(products) == 3
