"""Pretrained MobileNetV2 weights for the student's encoder, also where Keras' ImageNet download cannot run.

``train.encoder_weights: npm`` fetches them through npm: the package ``nsfwjs`` (MIT) ships a Keras
MobileNetV2 (alpha 1.0, trained at 224 px) as TensorFlow.js layers, whose layers up to ``block_10`` hold
ImageNet's weights unchanged (frozen when it was trained) and whose later blocks were fine-tuned on its
own photo classes. Its weights are uint8-quantized (``min + q * scale``); they are decoded into Keras'
own MobileNetV2 without its top, which the student then fine-tunes, and written once to
``<encoders>/mobilenetv2-npm.weights.h5`` with the license and a manifest beside it.
"""

from __future__ import annotations

import base64
import logging
import re
import tarfile
from pathlib import Path

import numpy as np

from prodseg.fileio import atomic_write_bytes, atomic_write_json, sha256_file
from prodseg.npm_package import FetchError, NpmPackage, pinned_tarball

log = logging.getLogger(__name__)

PACKAGE = NpmPackage(name="nsfwjs", version="4.4.0", tarball="nsfwjs-4.4.0.tgz",
                     sha256="585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382", license="MIT")
MODEL_DIR = "package/dist/models/mobilenet_v2"
WEIGHTS_NAME = "mobilenetv2-npm.weights.h5"
WIDTH = 1.0   # the only MobileNetV2 width the package holds

# One weightsManifest entry of the TF.js model: name, shape and the uint8 quantization's min and scale.
_ENTRY = re.compile(r'\{name:"([^"]+)",shape:\[([0-9,]*)\],dtype:"float32",'
                    r'quantization:\{min:([-+0-9.e]+),scale:([-+0-9.e]+),dtype:"uint8"\}\}')
_SHARD = re.compile(r'exports="([A-Za-z0-9+/=]+)"')


def decode_tfjs_weights(topology_js: str, shard_js: str) -> dict[str, np.ndarray]:
    """Every weight of a one-shard, uint8-quantized TF.js model, dequantized, by TF.js name."""
    entries = _ENTRY.findall(topology_js)
    shard = _SHARD.search(shard_js)
    if not entries or shard is None:
        raise FetchError("the TF.js model has no uint8 weights manifest or shard where expected")
    data = base64.b64decode(shard.group(1))
    weights, offset = {}, 0
    for name, shape_text, low, scale in entries:
        shape = tuple(int(n) for n in shape_text.split(",")) if shape_text else ()
        count = int(np.prod(shape))
        if offset + count > len(data):
            raise FetchError(f"the TF.js shard ends inside {name}: {len(data)} bytes")
        quantized = np.frombuffer(data, np.uint8, count, offset)
        weights[name] = (quantized.astype(np.float32) * float(scale) + float(low)).reshape(shape)
        offset += count
    if offset != len(data):
        raise FetchError(f"the TF.js shard holds {len(data)} bytes, its manifest describes {offset}")
    return weights


def _tfjs_name(layer: str, variable: str) -> str:
    # Keras 3 names a depthwise kernel `kernel`; Keras 2 (and so TF.js) `depthwise_kernel`.
    name = f"{layer}/{variable}"
    return name.replace("depthwise/kernel", "depthwise/depthwise_kernel")


def save_as_keras(weights: dict[str, np.ndarray], target: Path) -> Path:
    """Keras' MobileNetV2 (no top) with ``weights`` in every layer, saved as ``target`` (.weights.h5)."""
    import keras

    backbone = keras.applications.MobileNetV2((224, 224, 3), alpha=WIDTH, include_top=False, weights=None)
    for layer in backbone.layers:
        if not layer.weights:
            continue
        names = [_tfjs_name(layer.name, v.name) for v in layer.weights]
        missing = [n for n in names if n not in weights]
        if missing:
            raise FetchError(f"the npm MobileNetV2 lacks {missing[0]} (and {len(missing) - 1} more)")
        layer.set_weights([weights[n] for n in names])
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp.weights.h5")   # Keras insists on the suffix
    backbone.save_weights(tmp)
    tmp.replace(target)
    return target


def fetch_npm_encoder(encoders_dir: Path) -> Path:
    """``<encoders_dir>/mobilenetv2-npm.weights.h5``, fetched, checked and converted if not there yet."""
    encoders_dir = Path(encoders_dir)
    target = encoders_dir / WEIGHTS_NAME
    manifest = target.with_name(WEIGHTS_NAME.replace(".weights.h5", ".json"))
    if target.exists() and manifest.exists():
        return target
    tarball = pinned_tarball(PACKAGE, encoders_dir)
    with tarfile.open(tarball, "r:gz") as tar:
        topology = tar.extractfile(f"{MODEL_DIR}/model.min.js").read().decode()
        shard = tar.extractfile(f"{MODEL_DIR}/group1-shard1of1.min.js").read().decode()
        license_text = tar.extractfile("package/LICENSE").read()
    save_as_keras(decode_tfjs_weights(topology, shard), target)
    atomic_write_bytes(encoders_dir / "mobilenetv2-npm.LICENSE", license_text)
    atomic_write_json(manifest, {"package": PACKAGE.name, "version": PACKAGE.version, "license": PACKAGE.license,
                                 "tarball_sha256": PACKAGE.sha256, "sha256": sha256_file(target)})
    log.info("MobileNetV2 encoder weights from npm %s (%s): %s", PACKAGE.spec, PACKAGE.license, target)
    return target


def npm_encoder_or_none(encoders_dir: Path, width: float) -> str:
    """The npm weights' path, or ``none`` (random initialisation) with a warning saying why."""
    if width != WIDTH:
        log.warning("train.encoder_weights npm holds MobileNetV2 width %s only, not %s: the encoder starts from "
                    "random weights", WIDTH, width)
        return "none"
    try:
        return str(fetch_npm_encoder(encoders_dir))
    except FetchError as exc:
        log.warning("pretrained encoder weights could not be fetched through npm (%s): the encoder starts from "
                    "random weights", exc)
        return "none"
