"""Uploaded bytes -> RGB pixels, or an ``UploadError`` with the HTTP status and a reason a person can act on.

Size limits are checked on the header, before any pixel is decoded; every mode
(16-bit, CMYK, palette, transparent) becomes RGB exactly as the labeller and
training loader see it; animated images use their first frame.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from labelling.load import to_rgb  # the conversion training saw; one definition

# Only formats with pure-Python/C decoders inside Pillow: EPS/PDF and friends shell out (Ghostscript).
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG also opens multi-picture (MPO) files
EXIF_ORIENTATION = 0x0112
_SWAPPED = {5, 6, 7, 8}  # EXIF orientations that turn the image by 90 degrees


class UploadError(Exception):
    """A request the server refuses: ``status`` (4xx) and a message for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Upload:
    image: Image.Image   # opened: header parsed, pixels not decoded yet
    width: int           # as displayed (EXIF orientation applied)
    height: int
    orientation: int


def check_bytes(data: bytes, max_bytes: int) -> bytes:
    """Refuse an upload over the byte cap (callers read at most ``max_bytes + 1``)."""
    if len(data) > max_bytes:
        raise UploadError(413, f"upload too large: over the limit of {max_bytes:,} bytes")
    return data


def open_image(data: bytes, max_pixels: int) -> Upload:
    """Parse the header only and refuse what is not an image or too many pixels."""
    if not data:
        raise UploadError(400, "the uploaded file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise UploadError(415, "not an image this server reads (JPEG, PNG, WebP, GIF, BMP or TIFF)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadError(413, f"image has too many pixels: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - Pillow's plugins raise many types on malformed headers; all are bad input
        raise UploadError(400, f"image is truncated or corrupt ({type(exc).__name__}: {exc})") from None
    width, height = image.size
    if width * height > max_pixels:
        raise UploadError(413, f"image is {width}x{height} ({width * height / 1e6:.1f} megapixels); "
                               f"the limit is {max_pixels / 1e6:.1f} megapixels")
    try:
        orientation = int(image.getexif().get(EXIF_ORIENTATION, 1))
    except Exception:  # noqa: BLE001 - unreadable EXIF: show the image as stored
        orientation = 1
    if orientation in _SWAPPED:
        width, height = height, width
    return Upload(image, width, height, orientation)


def decode(upload: Upload, at_least: tuple[int, int] | None = None) -> np.ndarray:
    """RGB uint8 (H, W, 3) as displayed.

    ``at_least`` (width, height): the caller only needs this many pixels, so a JPEG
    may be decoded at 1/2..1/8 scale (the DCT does the reduction; much faster) and
    other formats are box-reduced right after decoding. The result is then smaller
    than ``upload.width x upload.height``.
    """
    image = upload.image
    want = (at_least[::-1] if upload.orientation in _SWAPPED else at_least) if at_least else None
    if want and image.format in ("JPEG", "MPO"):
        image.draft("RGB", want)
    try:
        image.load()
        factor = min(image.width // want[0], image.height // want[1]) if want else 1
        if factor >= 2 and image.mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
            image = image.reduce(factor)  # other formats: box-downsample before converting, to bound memory
        image = ImageOps.exif_transpose(image)
        return np.asarray(to_rgb(image))
    except Exception as exc:  # noqa: BLE001 - truncated or corrupt data surfaces as OSError, SyntaxError, ...
        raise UploadError(400, f"image data is truncated or corrupt ({type(exc).__name__}: {exc})") from None
