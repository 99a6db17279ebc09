import io

import pytest
from PIL import Image

from prodseg.images import ImageRejected
from scrapers.images import inspect_image

LIMITS = {"min_side": 64, "max_pixels": 4_000_000, "max_bytes": 1_000_000}


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def reason(data: bytes, **limits) -> str:
    with pytest.raises(ImageRejected) as info:
        inspect_image(data, **{**LIMITS, **limits})
    return info.value.reason


def test_good_jpeg_and_png_report_size_and_format():
    info = inspect_image(encode(Image.new("RGB", (120, 80), "red"), "JPEG"), **LIMITS)
    assert (info.width, info.height, info.format, info.ext) == (120, 80, "JPEG", ".jpg")
    assert inspect_image(encode(Image.new("RGBA", (70, 70)), "PNG"), **LIMITS).ext == ".png"


def test_bad_inputs_get_a_reason_not_a_crash():
    jpeg = encode(Image.effect_noise((256, 256), 64).convert("RGB"), "JPEG")
    assert reason(b"") == "empty"
    assert reason(b"<html>not an image</html>") == "not_an_image"
    assert reason(jpeg[: len(jpeg) // 2]) == "corrupt"
    assert reason(encode(Image.new("RGB", (40, 300)), "PNG")) == "too_small"
    assert reason(encode(Image.new("RGB", (200, 200)), "GIF")) == "unsupported_format"
    assert reason(jpeg, max_bytes=100) == "too_large"


def test_huge_pixel_counts_are_refused_before_decoding():
    # 3000x3000 of one colour compresses to a few KB: only the header tells.
    png = encode(Image.new("L", (3000, 3000)), "PNG")
    assert len(png) < 100_000
    assert reason(png, max_pixels=1_000_000) == "too_many_pixels"
