"""Pictures embedded as data: URIs, bounded in size."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from prodseg.datauri import image_bytes, image_data_uri


def _png(path, size, noise: bool):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (size, size, 3), np.uint8) if noise else np.full((size, size, 3), 200, np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def test_a_small_picture_is_embedded_byte_for_byte(tmp_path):
    path = _png(tmp_path / "plot.png", 64, noise=False)
    uri = image_data_uri(path)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == path.read_bytes()
    assert image_data_uri(path.read_bytes()) == uri   # the same from the bytes (files not yet in place)


def test_a_big_picture_is_shrunk_under_the_budget(tmp_path):
    path = _png(tmp_path / "big.png", 1024, noise=True)   # ~3 MB of noise
    data, mime = image_bytes(path, max_bytes=200_000)
    assert len(data) <= 200_000 < path.stat().st_size
    assert mime in ("image/png", "image/jpeg")
    assert max(Image.open(io.BytesIO(data)).size) < 1024
    thumb, _ = image_bytes(path, max_bytes=10_000_000, max_side=100)
    assert Image.open(io.BytesIO(thumb)).size == (100, 100)


def test_bad_bounds_are_refused(tmp_path):
    with pytest.raises(ValueError, match="positive"):
        image_bytes(_png(tmp_path / "p.png", 8, noise=False), max_bytes=0)
