"""``label.isnet.side``: a smaller-input copy of an IS-Net-shaped ONNX model whose Resize sizes are baked in,
as in the npm package's exports (built here, tiny; no download)."""

import numpy as np
import onnx
import pydantic
import pytest
from onnx import TensorProto, helper

from labelling.instances import mask_iou
from labelling.isnet import IsNetLabeller, resolve_weights
from labelling.isnet_resize import resize_model
from labelling.teacher import TeacherUnavailable
from prodseg.settings import IsNetConfig
from tests.labelling.test_isnet import scene, tiny_isnet

NATIVE = 128


def baked_isnet(path, side: int = NATIVE):
    """input -> MaxPool /2 -> Resize back to the baked ``side`` (sizes = Concat(Shape[:2], Constant)) -> the
    channel mean as ``output``; the pooled map is a side output at half the side, as IS-Net's are."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])
    half = helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [1, 3, side // 2, side // 2])
    out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, side, side])
    const = lambda name, values: helper.make_node(  # noqa: E731
        "Constant", [], [name], value=helper.make_tensor(name, TensorProto.INT64, [len(values)], values))
    nodes = [helper.make_node("MaxPool", ["input"], ["pooled"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
             helper.make_node("Shape", ["pooled"], ["shape"]), const("zero", [0]), const("two", [2]),
             helper.make_node("Slice", ["shape", "zero", "two", "zero"], ["batch_channels"]),
             const("baked", [side, side]),
             helper.make_node("Concat", ["batch_channels", "baked"], ["sizes"], axis=0),
             helper.make_node("Resize", ["pooled", "", "", "sizes"], ["up"], mode="linear"),
             const("axes", [1]), helper.make_node("ReduceMean", ["up", "axes"], ["output"], keepdims=1)]
    model = helper.make_model(helper.make_graph(nodes, "baked_isnet", [x], [half, out]),
                              opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def test_the_copy_runs_at_the_smaller_side_and_finds_the_same_product(tmp_path):
    source = baked_isnet(tmp_path / "isnet-medium.onnx")
    small = resize_model(source, 64, tmp_path / "teachers")
    assert small == tmp_path / "teachers" / "isnet-medium-64.onnx"
    image, truth = scene()
    native, resized = IsNetLabeller(IsNetConfig(), source), IsNetLabeller(IsNetConfig(), small)
    assert (native.side, resized.side) == (NATIVE, 64)
    (raw,) = resized.session.run(["output"], {"input": np.zeros((1, 3, 64, 64), np.float32)})
    assert raw.shape == (1, 1, 64, 64)
    a, b = native.label(image, "vase")[0], resized.label(image, "vase")[0]
    assert mask_iou(b.mask, truth) > 0.9 and mask_iou(a.mask, b.mask) > 0.9


def test_made_once_and_kept_and_the_native_side_is_the_model_itself(tmp_path):
    source = baked_isnet(tmp_path / "m.onnx")
    first = resize_model(source, 64, tmp_path)
    stamp = first.stat().st_mtime_ns
    assert resize_model(source, 64, tmp_path).stat().st_mtime_ns == stamp
    assert resize_model(source, NATIVE, tmp_path) == source
    assert resize_model(first, 64, tmp_path) == first   # already the copy (label.isnet.weights pointing at it)


def test_models_the_surgery_does_not_fit_and_bad_sides_are_refused_clearly(tmp_path):
    plain = tiny_isnet(tmp_path / "plain.onnx")   # no Resize: nothing baked to scale
    with pytest.raises(TeacherUnavailable, match="label.isnet.side 128: .*no baked Resize sizes"):
        resolve_weights(IsNetConfig(weights=str(plain), side=128), tmp_path)
    with pytest.raises(ValueError, match="multiple of 64"):
        resize_model(baked_isnet(tmp_path / "b.onnx"), 96, tmp_path)
    for bad in (100, 32, 4096):
        with pytest.raises(pydantic.ValidationError):
            IsNetConfig(side=bad)
    assert IsNetConfig(side=512).side == 512 and IsNetConfig().side is None
