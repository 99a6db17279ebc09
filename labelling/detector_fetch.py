"""``prodseg teacher fetch detector``: the COCO-80 object detector, through npm, converted once to TFLite.

The npm package ``@vladmandic/human`` (MIT) ships ``models/centernet.{json,bin}``: a MobileNetV3 CenterNet
trained on COCO, as a TF.js graph model (a GraphDef in JSON, weights float16 in one binary file). The pinned
tarball is checked against its sha256; the graph is rebuilt with TensorFlow (the project's own), its fused
ops split back into plain TensorFlow ops, and converted to ``<teachers>/centernet.tflite`` (atomically), which
labelling runs with ai_edge_litert; the package's license is written beside it. Done once per machine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import tarfile
from pathlib import Path

import numpy as np

from prodseg.fileio import atomic_write_bytes, atomic_write_json
from prodseg.npm_package import FetchError, NpmPackage, RegistryUnreachable, pinned_tarball

__all__ = ["FetchError", "RegistryUnreachable", "PACKAGE", "fetch_detector", "model_path", "tfjs_to_tflite"]

log = logging.getLogger(__name__)

PACKAGE = NpmPackage(name="@vladmandic/human", version="3.3.6", tarball="vladmandic-human-3.3.6.tgz",
                     sha256="425e9c51dbbca0c8934362b170cb0d54c2529c11c654b3c03092b16e9d6ad3f7", license="MIT")
INPUT, OUTPUT = "tower_0/images", "tower_0/detections"  # 1x512x512x3 RGB 0..255 -> 1x100x6
SIDE = 512
# TF.js fuses conv + bias (+ activation) into ops that only TensorFlow's grappler emits; TFLite wants them plain.
_PLAIN = {"_FusedConv2D": "Conv2D", "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative"}
_CONV_ATTRS = ("T", "strides", "padding", "data_format", "dilations", "explicit_paddings")


def model_path(teachers_dir: Path) -> Path:
    return Path(teachers_dir) / "centernet.tflite"


def read_weights(manifest: list[dict], data: bytes) -> dict[str, np.ndarray]:
    """The TF.js weights manifest's tensors from its binary (float16-quantized ones back to their dtype)."""
    weights, offset = {}, 0
    for group in manifest:
        for w in group["weights"]:
            stored = np.dtype((w.get("quantization") or w)["dtype"])
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            if offset + n * stored.itemsize > len(data):
                raise FetchError(f"the weights file ends before {w['name']}")
            weights[w["name"]] = np.frombuffer(data, stored, n, offset).astype(w["dtype"]).reshape(w["shape"])
            offset += n * stored.itemsize
    if offset != len(data):
        raise FetchError(f"the weights file holds {len(data)} bytes, the manifest lists {offset}")
    return weights


def unfuse(nodes: list[dict]) -> list[dict]:
    """TF.js's fused conv nodes (conv, BiasAdd, then an optional activation) as the plain ops they stand for."""
    out = []
    for node in nodes:
        op = _PLAIN.get(node["op"])
        if op is None:
            out.append(node)
            continue
        fused = [base64.b64decode(s).decode() for s in node["attr"]["fused_ops"]["list"]["s"]]
        if fused[:1] != ["BiasAdd"] or len(node["input"]) != 3 or len(fused) > 2:
            raise FetchError(f"{node['name']}: unsupported fused ops {fused}")
        name, dtype = node["name"], node["attr"]["T"]
        conv = {"name": f"{name}/conv", "op": op, "input": node["input"][:2],
                "attr": {k: v for k, v in node["attr"].items() if k in _CONV_ATTRS}}
        bias = {"name": name if len(fused) == 1 else f"{name}/bias", "op": "BiasAdd",
                "input": [conv["name"], node["input"][2]], "attr": {"T": dtype, "data_format": node["attr"]["data_format"]}}
        out += [conv, bias]
        if len(fused) == 2:
            out.append({"name": name, "op": fused[1], "input": [bias["name"]], "attr": {"T": dtype}})
    return out


def tfjs_to_tflite(model: dict, data: bytes, inputs: str = INPUT, output: str = OUTPUT) -> bytes:
    """A TF.js graph model (model.json's dict, its weights' bytes) as a TFLite flatbuffer, ``inputs`` -> ``output``."""
    import tensorflow as tf  # noqa: PLC0415  (only when converting, once)
    from google.protobuf import json_format  # noqa: PLC0415
    from tensorflow.core.framework import graph_pb2  # noqa: PLC0415

    weights = read_weights(model["weightsManifest"], data)
    graph = json_format.ParseDict({"node": unfuse(model["modelTopology"]["node"])}, graph_pb2.GraphDef())
    for node in graph.node:
        if node.op == "Const" and node.name in weights:
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(weights[node.name]))
    wrapped = tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(graph, name=""), [])
    fn = wrapped.prune(wrapped.graph.get_tensor_by_name(f"{inputs}:0"), wrapped.graph.get_tensor_by_name(f"{output}:0"))
    return tf.lite.TFLiteConverter.from_concrete_functions([fn], wrapped).convert()


def fetch_detector(teachers_dir: Path) -> Path:
    """``<teachers_dir>/centernet.tflite``, fetched, checked and converted if not there yet (then a no-op)."""
    teachers_dir = Path(teachers_dir)
    target = model_path(teachers_dir)
    manifest_path = target.with_suffix(".json")
    if target.exists() and manifest_path.exists():
        if json.loads(manifest_path.read_text()).get("size") == target.stat().st_size:
            return target
    tarball = pinned_tarball(PACKAGE, teachers_dir)
    with tarfile.open(tarball, "r:gz") as tar:
        model = json.load(tar.extractfile("package/models/centernet.json"))
        data = tar.extractfile("package/models/centernet.bin").read()
        license_text = tar.extractfile("package/LICENSE").read()
    log.info("converting %s models/centernet to TFLite (once) ...", PACKAGE.spec)
    try:
        flat = tfjs_to_tflite(model, data)
    except FetchError:
        raise
    except Exception as exc:  # TensorFlow's converter raises many types; the message says what failed
        raise FetchError(f"converting {PACKAGE.spec} models/centernet to TFLite failed: {exc}") from exc
    atomic_write_bytes(teachers_dir / "centernet.LICENSE", license_text)
    atomic_write_bytes(target, flat)
    atomic_write_json(manifest_path, {
        "package": PACKAGE.name, "version": PACKAGE.version, "license": PACKAGE.license,
        "tarball_sha256": PACKAGE.sha256, "source": "models/centernet.json", "size": len(flat),
        "sha256": hashlib.sha256(flat).hexdigest()})
    log.info("detector: %s (%.1f MB, %s)", target, len(flat) / 1e6, PACKAGE.license)
    return target
