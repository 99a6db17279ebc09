"""Reduced decoding: the same pixels as converting the whole image and box-reducing it, in any mode."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from prodseg.images import to_rgb
from serving.budget import PixelBudget
from serving.images import UploadError, decode, open_image, reduced_size, reduction
from tests.serving.helpers import encoded, photo

WIDTH, HEIGHT = 1003, 701  # not multiples of the factors: partial last boxes


def sample(mode: str) -> bytes:
    """A drawn product over a gradient, in ``mode``, encoded in a format that keeps that mode."""
    base = photo(WIDTH, HEIGHT, (0.2, 0.3, 0.7, 0.9))
    ramp = np.linspace(0, 120, WIDTH, dtype=np.float32)[None, :, None]
    base = Image.fromarray(np.clip(np.asarray(base, np.float32) - ramp, 0, 255).astype(np.uint8))
    alpha = Image.fromarray(np.broadcast_to(np.linspace(40, 255, HEIGHT, dtype=np.uint8)[:, None], (HEIGHT, WIDTH)))
    if mode == "I;16":
        return encoded(Image.fromarray(np.asarray(base.convert("L"), np.uint16) * 257))
    if mode == "I":
        return encoded(Image.fromarray(np.asarray(base.convert("L"), np.int32) * 1000), "TIFF")
    if mode == "CMYK":
        return encoded(base.convert("CMYK"), "TIFF")
    if mode == "P":  # a palette with a transparent entry
        paletted = base.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
        return encoded(paletted, "PNG", transparency=0)
    if mode in ("RGBA", "LA"):
        converted = base.convert(mode[:-1])
        converted.putalpha(alpha)
        return encoded(converted)
    return encoded(base.convert(mode))


@pytest.mark.parametrize("mode", ["RGB", "L", "1", "P", "RGBA", "LA", "I;16", "I", "CMYK"])
@pytest.mark.parametrize("factor", [1, 3, 8])
def test_reduced_decode_matches_converting_then_reducing(mode, factor):
    data = sample(mode)
    expected = to_rgb(Image.open(io.BytesIO(data)))
    expected = np.asarray(expected.reduce(factor) if factor > 1 else expected, int)
    budget = PixelBudget(10_000_000, timeout=1)
    upload = open_image(data, 25_000_000)
    got = decode(upload, factor, budget)
    assert got.shape == (*reduced_size(upload, factor)[::-1], 3) == expected.shape
    # Exact where strips meet whole-image conversion; "I" scales by its maximum after reducing (rounding).
    assert np.abs(got.astype(int) - expected).max() <= (2 if mode == "I" else 0)
    assert budget.used == 0


class Recording(PixelBudget):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.held: list[int] = []

    def hold(self, pixels: int):
        self.held.append(pixels)
        return super().hold(pixels)


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_jpeg_is_decoded_reduced_in_the_dct(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(photo(4000, 3000), "JPEG", quality=95, exif=exif.tobytes())
    upload = open_image(data, 25_000_000)
    budget = Recording(10_000_000, timeout=1)
    got = decode(upload, 6, budget)  # DCT at 1/4 (the largest of 1/8, 1/4, 1/2 not below the target), then BOX
    assert budget.held == [1000 * 750]  # the decode held a sixteenth of the pixels
    full = to_rgb(Image.open(io.BytesIO(data)).transpose(Image.Transpose.ROTATE_270) if orientation == 6
                  else Image.open(io.BytesIO(data)))
    expected = np.asarray(full.resize(reduced_size(upload, 6), Image.BOX), int)
    assert got.shape == expected.shape == ((667, 500, 3) if orientation == 6 else (500, 667, 3))
    assert np.abs(got.astype(int) - expected).mean() < 2


def test_the_output_reduction_is_the_smallest_whole_factor_that_fits():
    assert reduction(6000, 4000, 4_000_000) == 3    # 2000 x 1334
    assert reduction(5000, 5000, 4_000_000) == 3    # 1667 x 1667
    assert reduction(2000, 2000, 4_000_000) == 1
    assert reduction(2001, 2000, 4_000_000) == 2
    assert reduction(20000, 1, 4_000_000) == 1


def test_a_corrupt_image_releases_its_budget():
    data = encoded(photo(800, 600))
    budget = PixelBudget(10_000_000, timeout=1)
    with pytest.raises(UploadError, match="truncated or corrupt"):
        decode(open_image(data[: len(data) // 2], 25_000_000), 2, budget)
    assert budget.used == 0
