"""Model-resolution instance masks -> input-resolution masks and RGBA cut-outs.

One smoothed, sharpened map per instance feeds both outputs: the binary mask (for
/predict's RLE) is that map >= 128 and the cut-out's alpha is the map itself, so the
RLE decodes to exactly the PNG's alpha >= 128. The cut-out's colours are the photo's,
except where alpha is partial: there they are the product's estimated own colour
(``serving.edges.decontaminate``), so the photo's background does not show as a halo.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from serving.edges import SHARPNESS, decontaminate, reduction, sharpen


CROP_PAD = 0.04  # share of the box side kept around a cropped cut-out


def soft_mask(mask: np.ndarray, width: int, height: int, sharpness: float = SHARPNESS,
              foreground: np.ndarray | None = None) -> np.ndarray:
    """A (h, w) bool mask upsampled to (height, width) uint8 0..255 with smooth, sharpened edges.

    With ``foreground`` (the model's (h, w) foreground probability) the edge runs where that
    probability crosses 0.5 between the model's pixel centres (``instance_map``): sub-pixel, and
    smooth without a blur. Without it, bilinear upsampling of the mask leaves staircase edges
    one model pixel high, which a Gaussian of half a model pixel rounds off. Either way
    ``sharpen`` then narrows the transition (a soft outline) without moving where it crosses 128.
    """
    if foreground is not None:
        up = cv2.resize(instance_map(mask, foreground), (width, height), interpolation=cv2.INTER_LINEAR)
        return sharpen(up, sharpness)
    up = cv2.resize(mask.astype(np.uint8) * 255, (width, height), interpolation=cv2.INTER_LINEAR)
    sigma = 0.5 * max(width / mask.shape[1], height / mask.shape[0])
    return sharpen(cv2.GaussianBlur(up, (0, 0), sigma), sharpness) if sigma >= 0.5 else up


def instance_map(mask: np.ndarray, foreground: np.ndarray) -> np.ndarray:
    """uint8 map at model resolution whose >= 128 set is exactly ``mask``: the foreground probability,
    raised to 128 at least on the instance's pixels, capped at 127 on the ring of pixels around it (where
    the edge fades) and 0 beyond, so another instance or a faint background guess never leaks in."""
    if mask.shape != foreground.shape:
        raise ValueError(f"mask {mask.shape} and foreground {foreground.shape} differ in shape")
    level = np.rint(np.clip(foreground, 0, 1) * 255).astype(np.uint8)
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & ~mask
    return np.where(mask, np.maximum(level, 128), np.where(ring, np.minimum(level, 127), 0)).astype(np.uint8)


def binary(soft: np.ndarray) -> np.ndarray:
    return soft >= 128


def box_of(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``labelling.instances.box_from_mask`` without its np.nonzero: 16 bytes per pixel on a 25 MP mask."""
    cols, rows = np.flatnonzero(mask.any(axis=0)), np.flatnonzero(mask.any(axis=1))
    if len(cols) == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def cutout(rgb: np.ndarray, alpha: np.ndarray, crop: bool,
           edge_scale: float | None = None) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """RGBA cut-out and the box (x0, y0, x1, y1) it covers in the input (the whole image unless ``crop``).

    ``edge_scale``: output px per model px, to decontaminate the colours of its semi-transparent
    pixels at that detail; None keeps the photo's colours.
    """
    height, width = alpha.shape
    box = (0, 0, width, height)
    if crop:
        x0, y0, x1, y1 = box_of(alpha > 0) or box
        pad_x, pad_y = int(CROP_PAD * (x1 - x0)) + 1, int(CROP_PAD * (y1 - y0)) + 1
        box = (max(0, x0 - pad_x), max(0, y0 - pad_y), min(width, x1 + pad_x), min(height, y1 + pad_y))
    x0, y0, x1, y1 = box
    rgba = np.dstack([rgb[y0:y1, x0:x1], alpha[y0:y1, x0:x1]])
    if edge_scale is not None:
        decontaminate(rgba, reduction(edge_scale))
    return rgba, box


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=3)  # level 3: most of the size win, a third the time
    return buffer.getvalue()
