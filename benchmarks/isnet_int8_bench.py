"""IS-Net medium as shipped (float32) against its int8 copy (onnxruntime ``quantize_dynamic``, weights as
uint8): IoU vs truth and seconds per image on the same real photos, one thread each, alternating.

    nice .venv/bin/python benchmarks/isnet_int8_bench.py [--photos ../shared/realphotos] [--limit 20]

The int8 file is written once to ``<var>/teachers/isnet-medium-int8.onnx`` (never committed).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from labelling.instances import mask_iou
from labelling.isnet import IsNetLabeller, resolve_weights
from prodseg.images import load_rgb
from prodseg.settings import Settings


def as_float32(source: Path, target: Path) -> None:
    """The npm package's model computes in float16 (casts after the input); quantize_dynamic wants float32."""
    import onnx  # noqa: PLC0415
    from onnx import TensorProto, numpy_helper  # noqa: PLC0415

    model = onnx.load(str(source))
    graph = model.graph
    for i, init in enumerate(graph.initializer):
        if init.data_type == TensorProto.FLOAT16:
            graph.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float32),
                                                                  init.name))
    for node in graph.node:
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and attr.i == TensorProto.FLOAT16:
                attr.i = TensorProto.FLOAT
            if attr.name == "value" and attr.t.data_type == TensorProto.FLOAT16:
                attr.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(attr.t).astype(np.float32)))
    for info in [*graph.value_info, *graph.input, *graph.output]:
        if info.type.tensor_type.elem_type == TensorProto.FLOAT16:
            info.type.tensor_type.elem_type = TensorProto.FLOAT
    onnx.save(model, str(target))


def int8_copy(source: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: PLC0415

    target = source.with_name(source.stem + "-int8.onnx")
    if not target.exists():
        start = time.monotonic()
        as_float32(source, target.with_suffix(".f32.onnx"))
        quantize_dynamic(str(target.with_suffix(".f32.onnx")), str(target), weight_type=QuantType.QUInt8)
        target.with_suffix(".f32.onnx").unlink()
        print(f"quantized in {time.monotonic() - start:.0f} s: {target} ({target.stat().st_size / 1e6:.0f} MB)")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "realphotos")
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    settings = Settings.load()
    config = settings.config.label.isnet
    fp32 = resolve_weights(config, settings.teachers_dir)
    labellers = {"float32": IsNetLabeller(config, fp32), "int8": IsNetLabeller(config, int8_copy(fp32))}
    meta = pd.read_csv(args.photos / "meta.csv")
    meta = meta.iloc[np.linspace(0, len(meta) - 1, args.limit).astype(int)]  # spread over the classes
    rows = {name: [] for name in labellers}
    for name in meta["name"]:
        image = load_rgb(args.photos / "images" / f"{name}.jpg", 32, 20_000_000)
        truth = np.asarray(Image.open(args.photos / "masks" / f"{name}.png")) > 0
        masks = {}
        for variant, labeller in labellers.items():
            start = time.perf_counter()
            (found,) = labeller.label(image, None)
            rows[variant].append((mask_iou(found.mask, truth), time.perf_counter() - start))
            masks[variant] = found.mask
        rows.setdefault("agreement", []).append((mask_iou(masks["float32"], masks["int8"]), 0.0))
    for variant, got in rows.items():
        ious, secs = zip(*got)
        print(f"{variant:10s} mean IoU {statistics.mean(ious):.3f}  min {min(ious):.3f}  "
              f"median s/image {statistics.median(secs):.2f}")


if __name__ == "__main__":
    main()
