"""The IS-Net adapter on a tiny ONNX model built here with IS-Net's conventions (no download), and the
cascade of GrabCut and IS-Net on demo shop photos."""

import logging

import numpy as np
import onnx
import pandas as pd
import pytest
from onnx import TensorProto, helper

from labelling.cascade import CascadeLabeller, combined_score
from labelling.choose import make_labeller, resolve_labeller
from labelling.grabcut import GrabCutLabeller
from labelling.instances import mask_iou
from prodseg.images import load_rgb
from labelling.isnet import IsNetLabeller, mask_features, mask_score, preprocess, resolve_weights
from labelling.teacher import TeacherUnavailable
from prodseg.settings import GrabCutConfig, IsNetConfig, LabelConfig

SIDE = 64


def tiny_isnet(path, side: int = SIDE, lean: float = 0.0):
    """input (1x3xSxS) -> ``output``: the channel mean, so bright = salient once min-max scaled, plus ``lean``
    times a left-to-right ramp (a network that is not mirror-symmetric). A decoy output comes first, as in
    IS-Net's exports (its side outputs), to check the choice by name."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])
    decoy = helper.make_tensor_value_info("d1", TensorProto.FLOAT, [1, 1, side, side])
    out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, side, side])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    ramp = np.broadcast_to(np.linspace(0, lean, side, dtype=np.float32), (1, 1, side, side))
    nodes = [helper.make_node("ReduceMean", ["input", "axes"], ["mean"], keepdims=1),
             helper.make_node("Add", ["mean", "ramp"], ["output"]),
             helper.make_node("Neg", ["output"], ["d1"])]
    graph = helper.make_graph(nodes, "tiny_isnet", [x], [decoy, out],
                              initializer=[axes, onnx.numpy_helper.from_array(np.ascontiguousarray(ramp), "ramp")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    return tiny_isnet(tmp_path_factory.mktemp("isnet") / "tiny.onnx")


def scene(height=120, width=180, box=(30, 90, 50, 140), frame=False):
    """A dark photo with a bright product in ``box`` (y0, y1, x0, x1); ``frame`` adds a bright border."""
    image = np.full((height, width, 3), 20, np.uint8)
    y0, y1, x0, x1 = box
    image[y0:y1, x0:x1] = 235
    truth = np.zeros((height, width), bool)
    truth[y0:y1, x0:x1] = True
    if frame:
        image[:6], image[-6:], image[:, :6], image[:, -6:] = 235, 235, 235, 235
    return image, truth


def test_preprocess_is_rgb_nchw_at_the_model_side_scaled_around_128():
    image = np.zeros((10, 20, 3), np.uint8)
    image[..., 0] = 255
    x = preprocess(image, 32)
    assert x.shape == (1, 3, 32, 32) and x.dtype == np.float32
    assert np.allclose(x[0, 0], (255 - 128) / 256) and np.allclose(x[0, 1:], -0.5)


def test_the_product_mask_comes_back_at_the_photo_size_with_a_high_score(tiny_weights):
    labeller = IsNetLabeller(IsNetConfig(), tiny_weights)
    assert labeller.side == SIDE and labeller.output_name == "output"
    image, truth = scene()
    (instance,) = labeller.label(image, "vase")
    assert instance.mask.shape == truth.shape and instance.class_name == "vase" and instance.source == "isnet"
    assert mask_iou(instance.mask, truth) > 0.9
    assert instance.score > 0.9


def test_a_mask_that_runs_along_the_border_scores_lower(tiny_weights):
    labeller = IsNetLabeller(IsNetConfig(), tiny_weights)
    clean = labeller.label(scene()[0], "vase")[0].score
    framed = labeller.label(scene(frame=True)[0], "vase")[0].score
    assert framed < 0.5 < clean


def test_flip_averages_the_mirrored_photos_soft_mask(tmp_path):
    leaning = tiny_isnet(tmp_path / "leaning.onnx", lean=1.0)
    flat = np.full((40, 60, 3), 128, np.uint8)
    plain = IsNetLabeller(IsNetConfig(), leaning)
    flipped = IsNetLabeller(IsNetConfig(flip=True), leaning)
    assert plain.soft_mask(flat)[:, -1].mean() - plain.soft_mask(flat)[:, 0].mean() > 0.9  # the ramp alone
    soft = flipped.soft_mask(flat)
    assert np.allclose(soft, soft[:, ::-1], atol=1e-3)   # the ramp and its mirror image cancel out
    assert flipped.key() != plain.key()                  # labels made without the flip are redone
    image, truth = scene()
    assert mask_iou(flipped.label(image, "vase")[0].mask, truth) > 0.9


def test_score_features_of_soft_masks():
    soft = np.zeros((100, 100), np.float32)
    soft[30:70, 30:70] = 1.0
    crisp = mask_features(soft, 0.5)
    assert crisp.border == 0 and crisp.pieces == 1 and crisp.unsure < 0.1 and abs(crisp.area - 0.16) < 0.01
    blurry = soft.copy()
    blurry[20:80, 20:80] = np.maximum(blurry[20:80, 20:80], 0.4)
    assert mask_features(blurry, 0.5).unsure > 1.0 and mask_score(mask_features(blurry, 0.5)) < mask_score(crisp)
    assert mask_score(mask_features(np.zeros((50, 50), np.float32), 0.5)) == 0.0   # found nothing
    assert mask_score(mask_features(np.ones((50, 50), np.float32), 0.5)) == 0.0    # took everything


def test_weights_that_cannot_be_had_give_a_clear_reason(tmp_path):
    with pytest.raises(TeacherUnavailable, match="does not exist"):
        resolve_weights(IsNetConfig(weights=str(tmp_path / "nope.onnx")), tmp_path)
    with pytest.raises(TeacherUnavailable, match="prodseg teacher fetch isnet"):
        resolve_weights(IsNetConfig(fetch=False), tmp_path)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(TeacherUnavailable, match="not a loadable ONNX model"):
        IsNetLabeller(IsNetConfig(), junk)


def test_without_isnet_weights_cascade_is_grabcut_alone_with_one_warning(tmp_path, caplog):
    config = LabelConfig(labeller="cascade", isnet=IsNetConfig(fetch=False))
    with caplog.at_level(logging.WARNING):
        labeller = make_labeller(config, tmp_path)
    assert isinstance(labeller, GrabCutLabeller)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "GrabCut alone" in warnings[0] and "teacher fetch isnet" in warnings[0]


def test_auto_takes_isnet_when_its_weights_are_there_and_never_fetches(tmp_path, tiny_weights):
    resolved = resolve_labeller(LabelConfig(labeller="auto", isnet=IsNetConfig(weights=str(tiny_weights))), tmp_path)
    assert resolved.labeller == "isnet" and resolved.isnet.weights == str(tiny_weights)
    # No weights on disk: auto falls back to GrabCut rather than fetching (fetch is on by default).
    assert resolve_labeller(LabelConfig(labeller="auto"), tmp_path).labeller == "grabcut"
    assert not (tmp_path / "isnet-medium.onnx").exists()


def test_agreement_raises_the_score_and_disagreement_never_lowers_it():
    assert combined_score(0.6, 0.0) == 0.6
    assert combined_score(0.6, 0.8) == 0.6      # unsure GrabCut masks say little
    assert combined_score(0.3, 0.95) == 0.95
    assert combined_score(0.99, 0.95) == 0.99


def test_cascade_keeps_confident_grabcut_labels_and_asks_isnet_for_the_rest(tiny_weights, faulty_shop):
    truth = pd.read_parquet(faulty_shop / "truth" / "images.parquet").drop_duplicates("image_sha256")
    truth = truth[truth["fault"].isna()]
    cascade = CascadeLabeller(GrabCutLabeller(GrabCutConfig()), IsNetLabeller(IsNetConfig(), tiny_weights), 0.8)
    sources = {}
    studio = truth[truth["shot"] == "studio"].head(3)
    rooms = truth[truth["shot"] == "lifestyle"].head(3)
    for row in [*studio.itertuples(), *rooms.itertuples()]:
        image = load_rgb(faulty_shop / "site" / row.url.lstrip("/"), 1, 10**8)
        (instance,) = cascade.label(image, row.class_name)
        sources[row.shot] = sources.get(row.shot, []) + [(instance.source, instance.agreement)]
    # Room shots never satisfy GrabCut: IS-Net draws them, with their agreement recorded.
    assert all(src == "isnet" and agreement is not None for src, agreement in sources["lifestyle"])
    assert any(src == "grabcut" and agreement is None for src, agreement in sources["studio"])
