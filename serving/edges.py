"""Cut-out edges: a narrower alpha transition and foreground colours without the photo's background.

A cut-out's edge pixels mix the product with the photo's background (a studio's white shows as a
light halo over a dark room). ``decontaminate`` replaces their colour by an estimate of the
product's own colour: the "blur fusion" approximation (Forte & Pitie, ICIP 2021), which solves
I = a F + (1 - a) B locally with F and B taken from alpha-weighted box blurs, twice (wide, then
narrow). It works on horizontal strips so a 4 MP cut-out never holds full-size float copies, and on
large outputs at a reduced scale (their edges are the model's, enlarged).
"""

from __future__ import annotations

import cv2
import numpy as np

SHARPNESS = 2.0          # alpha slope around 0.5 (1 = the smoothed upsampled mask as it is)
FUSION_RADII = (45, 3)   # box half-widths of the two blur-fusion passes (the paper's 90 and 6 px windows)
WINDOW_PIXELS = 1 << 19  # (reduced) pixels worked on at once: ~6 MB per float colour plane, some 8 of them
FULL_DETAIL = 2          # output px per model px up to which edges are decontaminated at full resolution
EPS = 1e-5


def contrast_lut(sharpness: float = SHARPNESS) -> np.ndarray:
    """uint8 -> uint8 curve, steeper around 128 and monotone with 128 fixed, so ``lut[v] >= 128`` iff ``v >= 128``:
    the binary mask (/predict's RLE) is the same before and after sharpening."""
    if sharpness < 1:
        raise ValueError(f"sharpness must be >= 1 (1 leaves alpha as it is), got {sharpness}")
    values = np.arange(256, dtype=np.float64)
    out = np.clip(np.floor(128 + sharpness * (values - 128) + 0.5), 0, 255).astype(np.uint8)
    out[:128] = np.minimum(out[:128], 127)  # rounding must not carry a value below 128 up to it
    return out


def sharpen(soft: np.ndarray, sharpness: float = SHARPNESS) -> np.ndarray:
    """A uint8 soft mask with its transition ``sharpness`` times narrower (a lookup: no float copy)."""
    return cv2.LUT(soft, contrast_lut(sharpness)) if sharpness != 1 else soft


def _blur(values: np.ndarray, radius: int) -> np.ndarray:
    return cv2.blur(values, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)


def _fusion_pass(image: np.ndarray, fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray,
                 radius: int) -> tuple[np.ndarray, np.ndarray]:
    """One blur-fusion step: local foreground/background means, then F corrected to fit the observed colour."""
    a = alpha[..., None]
    blurred_alpha = _blur(alpha, radius)[..., None]
    blurred_fg = _blur(fg * a, radius) / (blurred_alpha + EPS)
    blurred_bg = _blur(bg * (1 - a), radius) / ((1 - blurred_alpha) + EPS)
    fg = blurred_fg + a * (image - a * blurred_fg - (1 - a) * blurred_bg)
    return np.clip(fg, 0, 1, out=fg), blurred_bg


def foreground(image: np.ndarray, alpha: np.ndarray, radii: tuple[int, ...] = FUSION_RADII) -> np.ndarray:
    """Estimated foreground colours (float 0..1, HxWx3) of a float 0..1 image and alpha, by blur fusion."""
    fg, bg = image, image
    for radius in radii:
        fg, bg = _fusion_pass(image, fg, bg, alpha, radius)
    return fg


def reduction(output_px_per_model_px: float) -> int:
    """The whole factor to decontaminate at: an output enlarged past FULL_DETAIL from the model has edges no
    finer than that. Measured (benchmarks/edge_bench.py, 512 px demo photos over the 128 px model): at
    factor 2 the halo error was 15.8 against 17.3 at full resolution, in a third of the time."""
    return max(1, int(output_px_per_model_px // FULL_DETAIL))


def _estimate(window: np.ndarray, radii: tuple[int, ...], reduce: int) -> np.ndarray:
    """uint8 foreground colours of an RGBA window, worked out ``reduce`` times smaller and enlarged back."""
    height, width = window.shape[:2]
    small = window if reduce == 1 else cv2.resize(window, (-(-width // reduce), -(-height // reduce)),
                                                  interpolation=cv2.INTER_AREA)
    fg = foreground(small[..., :3].astype(np.float32) / 255, small[..., 3].astype(np.float32) / 255, radii)
    fg = np.rint(fg * 255).astype(np.uint8)
    return fg if reduce == 1 else cv2.resize(fg, (width, height), interpolation=cv2.INTER_LINEAR)


def decontaminate(rgba: np.ndarray, reduce: int = 1, radii: tuple[int, ...] = FUSION_RADII,
                  strip_rows: int | None = None) -> None:
    """Replace, in place, the colour of ``rgba``'s semi-transparent pixels by the estimated product colour.

    Opaque and fully transparent pixels keep theirs. Each strip is computed with a margin of the
    passes' summed radii, which is all a pixel's estimate depends on, so strips join seamlessly
    (at ``reduce`` 1; reduced, windows keep to the reduced grid and differ only by rounding).
    """
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected a uint8 HxWx4 RGBA array, got {rgba.dtype} {rgba.shape}")
    if reduce < 1:
        raise ValueError(f"reduce must be a whole factor >= 1, got {reduce}")
    alpha = rgba[..., 3]
    partial = (alpha > 0) & (alpha < 255)
    rows = np.flatnonzero(partial.any(axis=1))
    if len(rows) == 0:
        return
    height, width = alpha.shape
    # Strips of (reduced) rows as many as fit WINDOW_PIXELS at this width: one for the demo's photos.
    strip_rows = strip_rows or max(32, WINDOW_PIXELS // -(-width // reduce) - 2 * sum(radii))
    margin, step = sum(radii) * reduce, strip_rows * reduce
    estimates = []  # written at the end: a later strip's window must see the photo's colours, not estimates
    for top in range(int(rows[0]) // reduce * reduce, int(rows[-1]) + 1, step):
        bottom = min(top + step, height)
        cols = np.flatnonzero(partial[top:bottom].any(axis=0))
        if len(cols) == 0:
            continue
        # The window: the strip's semi-transparent columns, plus the margin every way (clipped to the image).
        y0, y1 = max(0, top - margin), min(height, bottom + margin)
        x0, x1 = max(0, (int(cols[0]) - margin) // reduce * reduce), min(width, int(cols[-1]) + 1 + margin)
        fg = _estimate(rgba[y0:y1, x0:x1], radii, reduce)
        keep = partial[top:bottom, x0:x1]
        estimates.append((top, bottom, x0, x1, keep, fg[top - y0:bottom - y0][keep]))
    for top, bottom, x0, x1, keep, colours in estimates:
        rgba[top:bottom, x0:x1, :3][keep] = colours
