"""Reading a crawled image for labelling: any mode and orientation in, RGB uint8 out, or a reason."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError


class ImageUnusable(Exception):
    """An image that cannot be labelled; ``reason`` goes into the labels table."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


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


def load_rgb(path: Path, min_side: int, max_pixels: int) -> np.ndarray:
    """The image as displayed (EXIF orientation applied) in RGB, H x W x 3 uint8."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            width, height = img.size
            if width * height > max_pixels:  # refuse before decoding the pixels
                raise ImageUnusable("too_large", f"{width}x{height} > {max_pixels} pixels")
            img.load()
    except ImageUnusable:
        raise
    except FileNotFoundError:
        raise ImageUnusable("missing", str(path)) from None
    except UnidentifiedImageError:
        raise ImageUnusable("undecodable", "not an image format PIL knows") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageUnusable("too_large", str(exc)) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageUnusable("undecodable", str(exc)) from None
    if min(width, height) < min_side:
        raise ImageUnusable("too_small", f"{width}x{height} < {min_side} px")
    img = ImageOps.exif_transpose(img)
    return np.asarray(to_rgb(img))
