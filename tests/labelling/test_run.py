"""The labelling stage end to end on the crawled faulty demo shop."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from prodseg.rle import decode_rle
from labelling.features import border_share
from labelling.grabcut import GrabCutLabeller
from labelling.run import run_labelling
from prodseg.classes import ClassList
from prodseg.fileio import atomic_write_parquet, sha256_bytes
from prodseg.journal import Journal
from scrapers.catalog import fold_records, load_catalog
from tests.conftest import make_settings


@pytest.fixture
def label_settings(tmp_path, crawled_data, faulty_shop):
    shutil.copytree(crawled_data / "raw", tmp_path / "data" / "raw")
    return make_settings(tmp_path, faulty_shop, label={"labeller": "grabcut"})


def test_every_catalog_image_gets_a_label_row_and_every_output_is_written(labelled, faulty_shop):
    root, report = labelled   # the session's labelling of the crawl (only read here)
    s = make_settings(root, faulty_shop, label={"labeller": "grabcut"})
    catalog = load_catalog(s.catalog_path)
    labels = pd.read_parquet(s.labels_dir / "labels.parquet")
    assert labels["image_sha256"].tolist() == catalog["image_sha256"].tolist()
    assert report.images == len(catalog) and report.accepted == labels["accepted"].sum() > 0

    classes = ClassList.load(s.label_classes_path)
    assert classes == ClassList.load(s.catalog_classes_path)      # the list the labels were drawn with
    accepted = labels[labels["accepted"]]
    assert accepted["reason"].isna().all() and labels.loc[~labels["accepted"], "reason"].notna().all()
    for row in accepted.itertuples():
        mask = np.asarray(Image.open(s.labels_dir / row.mask_path))
        assert set(np.unique(mask).tolist()) == {0, classes.id(row.class_name)} == {0, row.class_id}
        assert row.border_frac == border_share(mask > 0)  # the server ranks by it without opening the mask
        assert 0 <= row.box_x0 < row.box_x1 <= row.width and 0 <= row.box_y0 < row.box_y1 <= row.height
    unknown = catalog.loc[~catalog["known_class"], "image_sha256"]
    assert (labels.set_index("image_sha256").loc[unknown, "reason"] == "unknown_class").all()

    coco = json.loads((s.labels_dir / "coco.json").read_text())
    assert len(coco["annotations"]) == len(accepted) and [c["name"] for c in coco["categories"]] == list(classes.products)
    first = coco["annotations"][0]
    sha = coco["images"][0]["sha256"]
    png = np.asarray(Image.open(s.labels_dir / f"masks/{sha}.png")) > 0
    assert (decode_rle(first["segmentation"]) == png).all() and first["area"] == png.sum()

    html = (s.labels_dir / "review.html").read_text()
    assert html.count("<figure") == min(len(labels), s.config.label.review_size)
    assert len(list((s.labels_dir / "review").glob("*.jpg"))) > 0
    audit = json.loads((s.labels_dir / "audit.json").read_text())
    assert audit == report.audit and audit["images"] > 0 and 0 <= audit["mean_iou"] <= 1


def test_labelling_resumes_after_an_interruption_and_redoes_nothing(label_settings, monkeypatch):
    s = make_settings(label_settings.var_dir.parent, label_settings.shop_dir,
                      label={"labeller": "grabcut", "workers": 1})  # the patched labeller runs in this process
    real, calls = GrabCutLabeller.label, []

    def interrupted(self, image, category):
        calls.append(1)
        if len(calls) == 6:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the sixth image
        return real(self, image, category)

    monkeypatch.setattr(GrabCutLabeller, "label", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_labelling(s, progress=False)
    assert len(Journal(s.label_journal_path).records()) == 5
    monkeypatch.undo()

    total = len(load_catalog(s.catalog_path))
    assert run_labelling(s, progress=False).labelled_now == total - 5
    first = pd.read_parquet(s.labels_dir / "labels.parquet")
    again = run_labelling(s, progress=False)
    assert again.labelled_now == 0
    pd.testing.assert_frame_equal(pd.read_parquet(s.labels_dir / "labels.parquet"), first)

    # A stricter threshold re-decides acceptance without relabelling.
    strict = make_settings(s.var_dir.parent, s.shop_dir, label={"labeller": "grabcut", "min_score": 0.999,
                                                                "workers": 1})
    stricter = run_labelling(strict, progress=False)
    assert stricter.labelled_now == 0 and stricter.accepted < again.accepted


def test_bad_images_are_rejected_with_a_reason_and_the_run_goes_on(tmp_path, faulty_shop):
    s = make_settings(tmp_path, faulty_shop, label={"labeller": "grabcut", "max_pixels": 4_000_000})
    good = next((faulty_shop / "site" / "img" / "p").glob("*-0.jpg")).read_bytes()
    files = {
        "good": good,
        "corrupt": good[: len(good) // 3],
        "html": b"<html>not found</html>",
        "tiny": _png(Image.new("RGB", (16, 16), "red")),
        "huge": _png(Image.new("L", (2500, 2000))),
    }
    records = []
    for name, data in files.items():
        sha = sha256_bytes(data)
        (s.images_dir).mkdir(parents=True, exist_ok=True)
        (s.images_dir / f"{sha}.jpg").write_bytes(data)
        records.append({"site": "t", "product_id": name, "title": name, "category": "Vases", "class_name": "vase",
                        "page_url": f"/{name}", "crawled_at": "2026-01-01T00:00:00+00:00",
                        "images": [{"url": f"/{name}.jpg", "sha256": sha, "file": f"{sha}.jpg", "width": 1,
                                    "height": 1, "bytes": len(data), "format": "JPEG"}]})
    ClassList(("vase",)).save(s.catalog_classes_path)
    atomic_write_parquet(s.catalog_path, fold_records(records, ClassList(("vase",)))[0])
    run_labelling(s, progress=False)
    labels = pd.read_parquet(s.labels_dir / "labels.parquet").set_index("product_id")
    assert labels.loc["good", "mask_path"] is not None and labels.loc["good", "class_name"] == "vase"
    assert labels.loc[["corrupt", "html", "tiny", "huge"], "reason"].tolist() == \
           ["corrupt", "not_an_image", "too_small", "too_many_pixels"]


def _png(img):
    import io

    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_a_teacher_class_other_than_the_catalogs_is_rejected_unless_trusted():
    from labelling.run import LABEL_COLUMNS, fold_labels

    catalog = pd.DataFrame({"image_sha256": ["a", "b"], "class_name": ["couch", "cup"]})
    records = [{**dict.fromkeys(LABEL_COLUMNS), "image_sha256": sha, "class_name": cls, "score": 0.9,
                "labeller_key": "k"} for sha, cls in (("a", "bowl"), ("b", "cup"))]
    classes = ClassList(("couch", "bowl", "cup"))
    table = fold_labels(records, catalog, "k", 0.5, classes).set_index("image_sha256")
    assert table.loc["a", "reason"] == "class_disagreement" and not table.loc["a", "accepted"]
    assert table.loc["a", "detail"] == "teacher says bowl, catalog says couch" and table.loc["b", "accepted"]
    trusted = fold_labels(records, catalog, "k", 0.5, classes, trust_teacher_class=True).set_index("image_sha256")
    assert trusted["accepted"].all() and trusted["class_id"].tolist() == [2, 3]
    # A class the catalog's list lacks (a teacher's, or an older list's) names nothing: unknown_class.
    narrow = fold_labels(records, catalog, "k", 0.5, ClassList(("couch", "cup")), True).set_index("image_sha256")
    assert narrow.loc["a", "reason"] == "unknown_class" and narrow.loc["b", "class_id"] == 2


def test_a_shop_with_its_own_class_list_is_labelled_with_it(tmp_path, faulty_shop):
    """A `table` shop: the demo's photos re-crawled as tables and chairs; none is rejected as unknown_class."""
    from labelling.run import teacher_classes

    s = make_settings(tmp_path, faulty_shop, label={"labeller": "grabcut", "workers": 1})
    classes = ClassList(("table", "chair"))
    good = sorted((faulty_shop / "site" / "img" / "p").glob("*-0.jpg"))[:4]
    records = []
    s.images_dir.mkdir(parents=True)
    for i, path in enumerate(good):
        sha = sha256_bytes(path.read_bytes())
        (s.images_dir / f"{sha}.jpg").write_bytes(path.read_bytes())
        records.append({"site": "t", "product_id": f"p{i}", "title": "x", "category": "Tables",
                        "class_name": classes.products[i % 2], "page_url": f"/{i}",
                        "crawled_at": "2026-01-01T00:00:00+00:00",
                        "images": [{"url": f"/{i}.jpg", "sha256": sha, "file": f"{sha}.jpg", "width": 1,
                                    "height": 1, "bytes": 1, "format": "JPEG"}]})
    classes.save(s.catalog_classes_path)
    atomic_write_parquet(s.catalog_path, fold_records(records, classes)[0])
    report = run_labelling(s, progress=False)
    labels = pd.read_parquet(s.labels_dir / "labels.parquet")
    assert "unknown_class" not in report.rejected and set(labels["class_name"]) == {"table", "chair"}
    assert ClassList.load(s.label_classes_path) == classes
    for row in labels[labels["accepted"]].itertuples():
        assert set(np.unique(np.asarray(Image.open(s.labels_dir / row.mask_path))).tolist()) == {0, row.class_id}
    coco = json.loads((s.labels_dir / "coco.json").read_text())
    assert coco["categories"] == [{"id": 1, "name": "table", "supercategory": "product"},
                                  {"id": 2, "name": "chair", "supercategory": "product"}]
    # Detectron2's COCO classes map onto this shop's names only.
    assert teacher_classes(s.config.label, classes).detectron2.class_map == {"chair": "chair"}
