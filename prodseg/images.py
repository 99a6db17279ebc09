"""Image bytes or files -> a checked image -> RGB pixels: the one validator the crawl, labelling and serving share.

Every refusal is an ``ImageRejected`` with one of ``REASONS``; each caller turns it into its own outcome (a
crawl's dropped count, a labels-table reason, an HTTP status). Size limits are checked on the header, before
any pixel is decoded.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

REASONS = ("empty", "missing", "too_large", "not_an_image", "too_many_pixels", "unsupported_format", "corrupt",
           "too_small")


class ImageRejected(Exception):
    """Input that yields no usable image, with a short machine-readable ``reason`` (``REASONS``; the crawl adds
    its download failures). ``transient`` reasons (network failures, 5xx after retries) are worth another try."""

    def __init__(self, reason: str, detail: str = "", transient: bool = False):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.transient = transient


def check_bytes(data: bytes, max_bytes: int) -> bytes:
    """Refuse empty data and data over ``max_bytes`` (callers read at most ``max_bytes + 1``)."""
    if not data:
        raise ImageRejected("empty", "0 bytes")
    if len(data) > max_bytes:
        raise ImageRejected("too_large", f"over the limit of {max_bytes:,} bytes")
    return data


def open_checked(source: bytes | Path | BinaryIO, max_pixels: int,
                 formats: tuple[str, ...] | None = None) -> Image.Image:
    """The image opened (header parsed, pixels not decoded yet), in one of ``formats`` (None: any Pillow reads),
    with at most ``max_pixels`` pixels."""
    if isinstance(source, bytes):
        if not source:
            raise ImageRejected("empty", "0 bytes")
        source = io.BytesIO(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=formats)
    except FileNotFoundError:
        raise ImageRejected("missing", str(source)) from None
    except UnidentifiedImageError:
        raise ImageRejected("not_an_image", "no image format this reader knows") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("too_many_pixels", str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - Pillow's plugins raise many types on malformed headers; all are bad input
        raise ImageRejected("corrupt", f"{type(exc).__name__}: {exc}") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected("too_many_pixels", f"{width}x{height} ({width * height / 1e6:.1f} megapixels); "
                                               f"the limit is {max_pixels / 1e6:.1f} megapixels")
    return image


def load_pixels(image: Image.Image) -> None:
    """Decode the pixels of an opened image; truncated or corrupt data is refused."""
    try:
        image.load()
    except Exception as exc:  # noqa: BLE001 - truncated or corrupt data surfaces as OSError, SyntaxError, ...
        raise ImageRejected("corrupt", f"{type(exc).__name__}: {exc}") from None


def check_side(image: Image.Image, min_side: int) -> None:
    if min(image.size) < min_side:
        raise ImageRejected("too_small", f"{image.width}x{image.height} < {min_side} px")


def to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit grey: scale to 8 bits by the image's own range (PIL's convert clips instead).
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") else max(float(arr.max()), 1.0)
        return Image.fromarray((arr * (255.0 / top)).clip(0, 255).astype(np.uint8)).convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        # A cut-out product on transparency is a studio shot on white.
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, img.convert("RGBA")).convert("RGB")
    return img.convert("RGB")


def load_rgb(source: bytes | Path | BinaryIO, min_side: int, max_pixels: int) -> np.ndarray:
    """The image as displayed (EXIF orientation applied) in RGB, H x W x 3 uint8, or ImageRejected."""
    image = open_checked(source, max_pixels)
    load_pixels(image)
    check_side(image, min_side)
    return np.asarray(to_rgb(ImageOps.exif_transpose(image)))
