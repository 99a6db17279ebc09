"""The gallery shows each product by the photo that cuts out best and keeps its other photos."""

import shutil

import numpy as np
import pandas as pd
from PIL import Image

from serving.gallery import Gallery
from tests.conftest import copy_labelled, make_settings
from tests.serving.helpers import serve_settings


def with_photos(tmp_path, catalog_data, extra: int):
    """A copy of the tiny catalog where p1 also has the other products' first ``extra`` photos, listed after its own."""
    data = tmp_path / "data"
    shutil.copytree(catalog_data, data)
    catalog = pd.read_parquet(data / "raw" / "catalog.parquet")
    more = catalog[catalog["product_id"] != "p1"].head(extra).assign(product_id="p1")
    pd.concat([catalog, more]).to_parquet(data / "raw" / "catalog.parquet")
    shas = [catalog.loc[catalog["product_id"] == "p1", "image_sha256"].iloc[0], *more["image_sha256"]]
    return data, shas


def write_labels(data, rows: list[dict]) -> None:
    (data / "labels" / "masks").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(data / "labels" / "labels.parquet")


def label(sha, accepted=True, score=0.9, teacher="grabcut", mask_path=None) -> dict:
    return {"image_sha256": sha, "accepted": accepted, "score": score, "teacher": teacher, "mask_path": mask_path}


def test_without_labels_the_shops_order_is_kept(tmp_path, catalog_data):
    data, shas = with_photos(tmp_path, catalog_data, 1)
    products = {p.product_id: p for p in Gallery.load(serve_settings(tmp_path, data)).products}
    assert [p.sha256 for p in products["p1"].photos] == shas and len(products) == 3
    assert products["p1"].as_json()["warnings"] == []


def test_photos_are_ranked_accepted_then_studio_like_then_by_score(tmp_path, catalog_data):
    data, (own, second, third) = with_photos(tmp_path, catalog_data, 2)
    # p1's own photo: the teacher gave up; the second: a room shot IS-Net labelled; the third: a studio shot.
    write_labels(data, [label(own, accepted=False, score=0.3, teacher="isnet"),
                        label(second, score=0.95, teacher="isnet"), label(third, score=0.8)])
    gallery = Gallery.load(serve_settings(tmp_path, data))
    p1 = next(p for p in gallery.products if p.product_id == "p1")
    assert [p.sha256 for p in p1.photos] == [third, second, own]
    listing = p1.as_json()
    assert listing["sha256"] == third and listing["cutout_url"] == f"/cutouts/{third}.png"
    assert [p["sha256"] for p in listing["photos"]] == [third, second, own]
    assert listing["warnings"] == [] and [w["code"] for w in listing["photos"][2]["warnings"]] == ["low_score"]
    assert gallery.get(own) == (p1, p1.photos[2])  # every photo of a product is served, not only the best


def test_a_label_mask_along_the_edge_ranks_last_and_warns(tmp_path, catalog_data):
    data, (own, second) = with_photos(tmp_path, catalog_data, 1)
    write_labels(data, [label(own, score=0.99, mask_path="masks/room.png"), label(second, score=0.7)])
    room = np.ones((120, 160), np.uint8)  # the whole frame but a hole: the room, not a product
    room[40:80, 60:100] = 0
    Image.fromarray(room).save(data / "labels" / "masks" / "room.png")
    p1 = next(p for p in Gallery.load(serve_settings(tmp_path, data)).products if p.product_id == "p1")
    assert [p.sha256 for p in p1.photos] == [second, own]
    assert [w.code for w in p1.photos[1].warnings] == ["touches_border"]


def test_shelf_is_the_shops_category_in_short(tmp_path, catalog_data):
    products = Gallery.load(serve_settings(tmp_path, catalog_data)).products
    assert [p.shelf for p in products] == ["couch", "chair", "vase"]  # the tiny catalog: "Home > <class>"
    assert products[0].as_json()["class_label"] == "Couch"


def ranking(gallery: Gallery) -> list:
    return [(p.product_id, [(photo.sha256, photo.label, photo.warnings) for photo in p.photos]) for p in gallery.products]


def test_the_ranking_reads_labels_columns_and_equals_the_one_from_the_masks(tmp_path, labelled_root, faulty_shop, caplog):
    """The demo fixture labelled by GrabCut: ranked from labels.parquet's border_frac without a mask file, and
    the same as from the masks, which a table written before the column still ranks by."""
    copy_labelled(labelled_root, tmp_path)
    settings = make_settings(tmp_path, faulty_shop)
    path = settings.labels_dir / "labels.parquet"
    old_table = pd.read_parquet(path).drop(columns="border_frac")
    shutil.move(settings.labels_dir / "masks", tmp_path / "masks")
    from_columns = Gallery.load(settings)   # no mask to open

    shutil.move(tmp_path / "masks", settings.labels_dir / "masks")
    old_table.to_parquet(path)
    with caplog.at_level("INFO", logger="serving.gallery"):
        from_masks = Gallery.load(settings)
    assert f"labels in {path} predate its border_frac column" in caplog.text
    assert ranking(from_columns) == ranking(from_masks)
    photos = [photo for p in from_masks.products for photo in p.photos]
    assert any(len(p.photos) > 1 for p in from_masks.products) and any(photo.warnings for photo in photos)
    assert any(photo.label.border > 0 for photo in photos if photo.label)


def test_a_catalog_row_pointing_outside_the_raw_folder_is_left_out(tmp_path, catalog_data):
    data, (own, other) = with_photos(tmp_path, catalog_data, 1)
    catalog = pd.read_parquet(data / "raw" / "catalog.parquet")
    outside = tmp_path / "secret.jpg"
    outside.write_bytes((data / "raw" / catalog.loc[catalog["image_sha256"] == own, "image_path"].iloc[0]).read_bytes())
    link = data / "raw" / "images" / "link.jpg"
    link.symlink_to(outside)
    rows = {own: "../../secret.jpg", other: "images/link.jpg"}   # up and out; a link out
    p1 = (catalog["product_id"] == "p1").to_numpy()
    catalog.loc[p1, "image_path"] = catalog.loc[p1, "image_sha256"].map(rows).to_numpy()
    catalog.to_parquet(data / "raw" / "catalog.parquet")
    products = {p.product_id for p in Gallery.load(serve_settings(tmp_path, data)).products}
    assert "p1" not in products and len(products) == 2
