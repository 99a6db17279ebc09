"""A smaller-input copy of an IS-Net ONNX model (``label.isnet.side``), made once into ``<var>/teachers``.

The npm package's models take a fixed 1x3x1024x1024 input and their Resize nodes carry the sizes of that
input baked in as constants (32 ... 1024), so making the input dynamic fails. The network is fully
convolutional, so the same weights run at ``side`` once the input/output shapes and every baked Resize size
are scaled by ``side / native``. Measured in README "Measured" (benchmarks/isnet_side_bench.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

from prodseg.fileio import atomic_write_bytes

log = logging.getLogger(__name__)

STEP = 64  # side must be a multiple: the smallest baked size (32 at 1024) stays a whole number of pixels


def _size_constants(graph) -> list:
    """The Constant nodes that feed a Resize's ``sizes`` (concatenated after the batch/channel dims)."""
    producer = {out: node for node in graph.node for out in node.output}
    found = {}
    for node in graph.node:
        if node.op_type != "Resize" or len(node.input) < 4 or not node.input[3]:
            continue
        concat = producer.get(node.input[3])
        if concat is None or concat.op_type != "Concat":
            raise ValueError(f"Resize {node.name}'s sizes do not come from a Concat: not an IS-Net export known here")
        found.update({name: producer[name] for name in concat.input
                      if name in producer and producer[name].op_type == "Constant"})
    return list(found.values())


def resize_model(source: Path, side: int, folder: Path) -> Path:
    """``<folder>/<source stem>-<side>.onnx`` (made once, atomically): the model at side x side. ``source``
    itself when it already runs at ``side``; ValueError for a model this surgery does not fit."""
    import onnx  # noqa: PLC0415  (only where a copy is made)
    from onnx import numpy_helper  # noqa: PLC0415

    if side % STEP:
        raise ValueError(f"the side must be a multiple of {STEP}")
    target = Path(folder) / f"{Path(source).stem}-{side}.onnx"
    if target.exists():
        return target
    model = onnx.load(str(source))
    graph = model.graph
    native = graph.input[0].type.tensor_type.shape.dim[-1].dim_value
    if native == side:
        return Path(source)
    if not native:
        raise ValueError(f"{source}'s input size is not fixed: leave label.isnet.side null")
    constants = _size_constants(graph)
    if not constants:
        raise ValueError(f"{source} has no baked Resize sizes: not an IS-Net export known here")
    for node in constants:
        (attr,) = [a for a in node.attribute if a.name == "value"]
        sizes = numpy_helper.to_array(attr.t)
        attr.t.CopyFrom(numpy_helper.from_array((sizes * side // native).astype(sizes.dtype), attr.t.name))
    for value in [*graph.input, *graph.output]:  # the mask, and the side outputs at coarser scales
        for dim in value.type.tensor_type.shape.dim[-2:]:
            dim.dim_value = dim.dim_value * side // native
    del graph.value_info[:]  # intermediate shapes recorded at the native size; onnxruntime infers them again
    atomic_write_bytes(target, model.SerializeToString())
    log.info("IS-Net at %dx%d: %s (%d Resize sizes scaled from %s)", side, side, target, len(constants), source)
    return target
