"""Checks on downloaded image bytes: decodable, sane size, an image format we keep (``prodseg/images.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from prodseg.images import ImageRejected, check_bytes, check_side, load_pixels, open_checked

KEPT_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str
    ext: str


def inspect_image(data: bytes, min_side: int, max_pixels: int, max_bytes: int) -> ImageInfo:
    """Decode ``data`` fully and return its size and format, or raise ImageRejected."""
    img = open_checked(check_bytes(data, max_bytes), max_pixels)
    if img.format not in KEPT_FORMATS:
        raise ImageRejected("unsupported_format", str(img.format))
    load_pixels(img)
    check_side(img, min_side)
    return ImageInfo(img.width, img.height, img.format, KEPT_FORMATS[img.format])
