"""Pictures as ``data:`` URIs, so a page that shows them is one self-contained file.

MLflow's artifact viewer and Dagster's metadata panel show one HTML/Markdown text each: a relative
``<img src="plot.png">`` points nowhere there. Embedding keeps the picture with the text; the size is
bounded so a report stays a few MB: a picture over the budget is downscaled, and sent as JPEG when
that is smaller (photos; plots with flat colours stay PNG).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def image_bytes(picture: Path | bytes, max_bytes: int, max_side: int | None = None) -> tuple[bytes, str]:
    """The picture (a file, or its bytes) as (bytes, mime type), at most ``max_bytes`` and ``max_side`` px
    per side. Under both bounds its own bytes are kept untouched; else it is shrunk by halves of its
    longest side (PNG or JPEG, whichever is smaller) until it fits."""
    if max_bytes <= 0 or (max_side is not None and max_side <= 0):
        raise ValueError(f"max_bytes and max_side must be positive, got {max_bytes} and {max_side}")
    raw = picture if isinstance(picture, bytes) else Path(picture).read_bytes()
    with Image.open(io.BytesIO(raw)) as opened:
        image = opened.copy()
        fmt = opened.format
    if len(raw) <= max_bytes and (max_side is None or max(image.size) <= max_side) and fmt in ("PNG", "JPEG"):
        return raw, f"image/{fmt.lower()}"
    if max_side is not None and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    while True:
        png, jpeg = _encode(image, "PNG"), _encode(image, "JPEG")
        data, mime = (png, "image/png") if len(png) <= len(jpeg) else (jpeg, "image/jpeg")
        if len(data) <= max_bytes or max(image.size) <= 16:
            return data, mime
        image = image.resize((max(1, image.width // 2), max(1, image.height // 2)), Image.Resampling.LANCZOS)


def image_data_uri(picture: Path | bytes, max_bytes: int = 1_500_000, max_side: int | None = None) -> str:
    """``data:image/...;base64,...`` of the picture (a file, or its bytes), bounded as in ``image_bytes``."""
    data, mime = image_bytes(picture, max_bytes, max_side)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
