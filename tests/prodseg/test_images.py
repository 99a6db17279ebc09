"""Every odd image a shop may serve: loaded correctly, or refused with a reason."""

import io

import numpy as np
import pytest
from PIL import Image

from prodseg.images import ImageRejected, load_rgb

LIMITS = {"min_side": 32, "max_pixels": 4_000_000}


def save(tmp_path, img, fmt, name, **kw):
    path = tmp_path / name
    img.save(path, format=fmt, **kw)
    return path


def test_rgb_grey_cmyk_and_16bit_all_come_out_rgb(tmp_path):
    rgb = Image.new("RGB", (64, 48), (200, 30, 30))
    for name, img, fmt in [("rgb.jpg", rgb, "JPEG"), ("grey.png", rgb.convert("L"), "PNG"),
                           ("cmyk.jpg", rgb.convert("CMYK"), "JPEG"),
                           ("deep.png", Image.fromarray(np.full((48, 64), 40000, np.uint16)), "PNG")]:
        out = load_rgb(save(tmp_path, img, fmt, name), **LIMITS)
        assert out.shape == (48, 64, 3) and out.dtype == np.uint8, name
    deep = load_rgb(tmp_path / "deep.png", **LIMITS)
    assert 150 < deep.mean() < 160  # 40000/65535 of white, not clipped to 255
    assert abs(int(load_rgb(tmp_path / "cmyk.jpg", **LIMITS)[..., 0].mean()) - 200) < 20


def test_transparent_background_becomes_white(tmp_path):
    img = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    img.paste((10, 120, 10, 255), (10, 10, 30, 30))
    out = load_rgb(save(tmp_path, img, "PNG", "cutout.png"), **LIMITS)
    assert out[0, 0].tolist() == [255, 255, 255] and out[20, 20].tolist() == [10, 120, 10]


def test_exif_orientation_is_applied(tmp_path):
    img = Image.new("RGB", (80, 40), "white")
    img.paste((0, 0, 0), (0, 0, 10, 40))       # a black band on the left
    exif = Image.Exif()
    exif[0x0112] = 6                            # "rotate 90 CW to display"
    out = load_rgb(save(tmp_path, img, "JPEG", "rot.jpg", exif=exif), **LIMITS)
    assert out.shape[:2] == (80, 40)
    assert out[:10].mean() < 60                 # the band is now on top


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(b"<html>404</html>"), "not_an_image"),
    (lambda p: p.write_bytes(b""), "not_an_image"),
    (lambda p: p.write_bytes(_jpeg(Image.effect_noise((200, 200), 50).convert("RGB"))[:900]), "corrupt"),
    (lambda p: p.write_bytes(_jpeg(Image.new("RGB", (20, 300)))), "too_small"),
    (lambda p: Image.new("L", (2500, 2000)).save(p, format="PNG"), "too_many_pixels"),
    (lambda p: None, "missing"),
])
def test_unusable_images_get_a_reason(tmp_path, make, reason):
    path = tmp_path / "img"
    make(path)
    with pytest.raises(ImageRejected) as info:
        load_rgb(path, **LIMITS)
    assert info.value.reason == reason


def _jpeg(img):
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    return buf.getvalue()
