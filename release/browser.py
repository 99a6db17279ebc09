"""The browser's copy of a TFLite file: the same model with a batch of one.

The export stage converts with a dynamic batch (``shape_signature`` ``[-1, H, W, C]``), which the LiteRT
interpreter resizes on demand; LiteRT.js (``@litertjs/core`` 2.5.3) has no resize and refuses every input
against a ``-1`` dimension. Setting the leading ``-1`` of each tensor's signature to 1 is all it needs:
weights, quantization and ops are untouched, so the browser runs the very model the server runs.
The patch is done in place on the flatbuffer's int32 vectors (same size, no repacking, no TensorFlow).
"""

from __future__ import annotations

import numpy as np
from ai_edge_litert import schema_py_generated as schema


def fixed_batch(model: bytes) -> bytes:
    """``model`` with every dynamic leading dimension fixed to 1; a clear error for a file that is not TFLite."""
    if len(model) < 8 or model[4:8] != b"TFL3":
        raise ValueError("not a TFLite flatbuffer (no TFL3 identifier)")
    data = bytearray(model)
    root = schema.Model.GetRootAsModel(data, 0)
    for g in range(root.SubgraphsLength()):
        subgraph = root.Subgraphs(g)
        for t in range(subgraph.TensorsLength()):
            tensor = subgraph.Tensors(t)
            if tensor.ShapeSignatureIsNone() or tensor.ShapeSignatureLength() == 0:
                continue
            signature = tensor.ShapeSignatureAsNumpy()  # a view on `data`: writing it patches the file
            if signature[0] == -1:
                signature[0] = 1
    return bytes(data)


def signature(model: bytes) -> list[list[int]]:
    """Every tensor's shape signature (what ``fixed_batch`` changes), for checks."""
    root = schema.Model.GetRootAsModel(bytearray(model), 0)
    return [np.asarray(root.Subgraphs(g).Tensors(t).ShapeSignatureAsNumpy()).tolist()
            for g in range(root.SubgraphsLength()) for t in range(root.Subgraphs(g).TensorsLength())
            if not root.Subgraphs(g).Tensors(t).ShapeSignatureIsNone()]


def output_quantization(model: bytes) -> tuple[float, int] | None:
    """(scale, zero point) of the first output (int8 files' uint8 logits); None for a float output."""
    root = schema.Model.GetRootAsModel(bytearray(model), 0)
    subgraph = root.Subgraphs(0)
    quantization = subgraph.Tensors(subgraph.Outputs(0)).Quantization()
    if quantization is None or quantization.ScaleLength() == 0:
        return None
    return float(quantization.Scale(0)), int(quantization.ZeroPoint(0))
