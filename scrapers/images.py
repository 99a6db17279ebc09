"""Checks on downloaded image bytes: decodable, sane size, an image format we keep."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

KEPT_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


class ImageRejected(Exception):
    """An image URL that yields no stored image, with a short machine-readable reason.

    ``transient`` reasons (network failures, 5xx after retries) are worth another
    try on the next crawl; the others (404, corrupt bytes, too small) are not.
    """

    def __init__(self, reason: str, detail: str = "", transient: bool = False):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.transient = transient


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str
    ext: str


def inspect_image(data: bytes, min_side: int, max_pixels: int, max_bytes: int) -> ImageInfo:
    """Decode ``data`` fully and return its size and format, or raise ImageRejected."""
    if not data:
        raise ImageRejected("empty")
    if len(data) > max_bytes:
        raise ImageRejected("too_large", f"{len(data)} bytes > {max_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageRejected("not_an_image", "bytes are no known image format") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("too_many_pixels", str(exc)) from None
    width, height = img.size
    if width * height > max_pixels:  # checked from the header, before decoding the pixels
        raise ImageRejected("too_many_pixels", f"{width}x{height} > {max_pixels} pixels")
    if img.format not in KEPT_FORMATS:
        raise ImageRejected("unsupported_format", str(img.format))
    try:
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("corrupt", str(exc)) from None
    if min(width, height) < min_side:
        raise ImageRejected("too_small", f"{width}x{height} < {min_side} px")
    return ImageInfo(width, height, img.format, KEPT_FORMATS[img.format])
