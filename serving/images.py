"""Uploaded bytes -> RGB pixels, or an ``UploadError`` with the HTTP status and a reason a person can act on.

The checks are the ones the crawl and the labeller use (``prodseg/images.py``); size limits are checked
on the header, before any pixel is decoded; every mode (16-bit, CMYK, palette, transparent) becomes RGB
exactly as the labeller and training loader see it; animated images use their first frame. Decoding reduces
as early as the format allows, so its memory follows the size asked for.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

from prodseg import images
from prodseg.images import ImageRejected, to_rgb  # the conversion training saw; one definition
from serving.budget import PixelBudget

# Only formats with pure-Python/C decoders inside Pillow: EPS/PDF and friends shell out (Ghostscript).
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG also opens multi-picture (MPO) files
EXIF_ORIENTATION = 0x0112
_SWAPPED = {5, 6, 7, 8}  # EXIF orientations that turn the image by 90 degrees
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}  # what ImageOps.exif_transpose does, by the orientation read at open
STRIP_PIXELS = 1 << 18  # source pixels converted at a time: never a full-size converted copy
# The HTTP status and message of each refusal an upload can get (``prodseg.images.REASONS``).
REFUSALS = {"empty": (400, "the uploaded file is empty ({detail})"),
            "too_large": (413, "upload too large: {detail}"),
            "not_an_image": (415, "not an image this server reads (JPEG, PNG, WebP, GIF, BMP or TIFF)"),
            "too_many_pixels": (413, "image has too many pixels: {detail}"),
            "corrupt": (400, "image is truncated or corrupt ({detail})")}


class UploadError(Exception):
    """A request the server refuses: ``status`` (4xx) and a message for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message

    @classmethod
    def of(cls, rejected: ImageRejected) -> "UploadError":
        status, message = REFUSALS[rejected.reason]
        return cls(status, message.format(detail=rejected.detail))


@dataclass
class Upload:
    image: Image.Image   # opened: header parsed, pixels not decoded yet (``decode`` once, then closed)
    width: int           # as displayed (EXIF orientation applied)
    height: int
    orientation: int


def check_bytes(data: bytes, max_bytes: int) -> bytes:
    """Refuse an empty upload or one over the byte cap (callers read at most ``max_bytes + 1``)."""
    try:
        return images.check_bytes(data, max_bytes)
    except ImageRejected as exc:
        raise UploadError.of(exc) from None


def open_image(data: bytes, max_pixels: int) -> Upload:
    """Parse the header only and refuse what is not an image or too many pixels."""
    try:
        image = images.open_checked(data, max_pixels, FORMATS)
    except ImageRejected as exc:
        raise UploadError.of(exc) from None
    width, height = image.size
    orientation = _orientation(image)
    if orientation in _SWAPPED:
        width, height = height, width
    return Upload(image, width, height, orientation)


def _orientation(image: Image.Image) -> int:
    if image.format == "PNG" and "exif" not in image.info:
        return 1  # PNG's getexif() decodes every pixel to look for an eXIf chunk after them: header only, here
    try:
        return int(image.getexif().get(EXIF_ORIENTATION, 1))
    except Exception:  # noqa: BLE001 - unreadable EXIF: show the image as stored
        return 1


def reduction(width: int, height: int, max_pixels: int) -> int:
    """The smallest whole factor that brings ``width x height`` to at most ``max_pixels`` (1: none needed)."""
    factor = max(1, math.isqrt(width * height // max(1, max_pixels)))
    while math.ceil(width / factor) * math.ceil(height / factor) > max_pixels:
        factor += 1
    return factor


def reduced_size(upload: Upload, factor: int) -> tuple[int, int]:
    """(width, height) as displayed after reducing by ``factor`` (a partial last box still counts)."""
    return math.ceil(upload.width / factor), math.ceil(upload.height / factor)


def decode(upload: Upload, factor: int = 1, budget: PixelBudget | None = None) -> np.ndarray:
    """RGB uint8 (H, W, 3) as displayed, box-reduced by ``factor``: ``reduced_size(upload, factor)``.

    A JPEG is decoded at 1/2..1/8 scale in the DCT where the factor allows; other formats
    decode at full size (held in ``budget`` until reduced) and are converted and reduced a
    strip of rows at a time, so no full-size RGB copy exists.
    """
    image = upload.image
    width, height = reduced_size(upload, factor)
    target = (height, width) if upload.orientation in _SWAPPED else (width, height)  # as stored
    stored_width = image.width
    if factor > 1 and image.format in ("JPEG", "MPO"):
        image.draft("RGB", target)  # picks the largest DCT scale (1/2, 1/4, 1/8) that keeps at least `target`
    drafted = round(stored_width / image.width)
    with budget.hold(image.width * image.height) if budget else nullcontext():
        try:
            images.load_pixels(image)
            rgb = _reduced_rgb(image, max(1, factor // drafted))
        except ImageRejected as exc:
            raise UploadError.of(exc) from None
        finally:
            image.close()  # the full-size pixels go now, not when the request ends
    if rgb.size != target:  # a JPEG drafted to a scale that does not divide the factor
        rgb = rgb.resize(target, Image.BOX)
    transpose = _TRANSPOSE.get(upload.orientation)
    return np.asarray(rgb.transpose(transpose) if transpose is not None else rgb)


def _reduced_rgb(image: Image.Image, factor: int) -> Image.Image:
    """``to_rgb(image).reduce(factor)``, converted a strip of rows at a time."""
    if image.mode in ("I", "F"):  # to_rgb scales these by the whole image's maximum; reduce handles them as is
        return to_rgb(image.reduce(factor) if factor > 1 else image)
    convert = _grey16 if image.mode.startswith("I;16") else to_rgb
    rows = max(1, STRIP_PIXELS // (image.width * factor)) * factor
    size = (math.ceil(image.width / factor), math.ceil(image.height / factor))
    out = None
    for top in range(0, image.height, rows):
        strip = convert(image.crop((0, top, image.width, min(image.height, top + rows))))
        strip = strip.reduce(factor) if factor > 1 else strip
        out = out or Image.new(strip.mode, size)
        out.paste(strip, (0, top // factor))
    return out.convert("RGB")  # a copy when it is RGB already: small by now


@cache
def _grey16_levels() -> np.ndarray:
    """to_rgb's 8-bit level for each 16-bit grey value, taken from to_rgb itself."""
    ramp = Image.fromarray(np.arange(1 << 16, dtype=np.uint16).reshape(256, 256))
    return np.asarray(to_rgb(ramp))[..., 0].ravel()


def _grey16(strip: Image.Image) -> Image.Image:
    """``to_rgb`` of 16-bit grey, kept as one channel (reduced before it becomes RGB) and without floats."""
    return Image.fromarray(_grey16_levels()[np.asarray(strip)])
