"""The offline labeller: OpenCV GrabCut seeded from a background model of the image border.

Meant for studio shots (a product on a plain or gradient background). Where the
border is not one smooth background (a room), the score says so: such labels
come out below the acceptance threshold instead of being silently accepted.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

from labelling.instances import Instance
from prodseg.settings import GrabCutConfig

BORDER = 0.04          # border band, as a share of the long side, that models the background
PURE_DARKER = 0.03     # brightness within this share below ...
PURE_BRIGHTER = 0.05   # ... or above the background model (which a shadow in the border band biases low) ...
PURE_TINT = 0.02       # ... with the background's hue (see _tint): background itself
SHADOW_MIN = 0.45      # a cast shadow darkens the background to no less than this share of its brightness ...
SHADOW_TINT = 0.02     # ... and keeps its hue
SHADE_TINT = 0.012     # an enclosed region this close to the background's hue (mean) may be a shadow
EDGE = 2.0             # Lab gradient (units per pixel) above which a pixel is an edge: product outlines are sharp
SURE_TINT = 0.08       # this far from the background's hue: surely product
SURE_BRIGHTER = 0.10   # brighter than the background by this share: surely product (a shadow only darkens)
CLIPPED = 250          # a background channel this bright may be clipped: its true value can be higher
HEADROOM = 0.07        # ... by up to this share


def _coons_background(img: np.ndarray, band: int) -> np.ndarray:
    """A smooth background estimate inside the image, interpolated from its four border bands.

    Handles flat, linear-gradient and vignetted studio backgrounds alike.
    """
    h, w, _ = img.shape
    top = np.median(img[:band], axis=0)
    bottom = np.median(img[-band:], axis=0)
    left = np.median(img[:, :band], axis=1)
    right = np.median(img[:, -band:], axis=1)
    v = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    u = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
    corners = (top[0], top[-1], bottom[0], bottom[-1])
    ruled = (1 - v) * top[None] + v * bottom[None] + (1 - u) * left[:, None] + u * right[:, None]
    bilinear = ((1 - u) * (1 - v) * corners[0] + u * (1 - v) * corners[1]
                + (1 - u) * v * corners[2] + u * v * corners[3])
    return (ruled - bilinear).astype(np.float32)


def _tint(rgb: np.ndarray, background: np.ndarray) -> np.ndarray:
    """How far each pixel's colour is from a darker or brighter copy of the background behind it, relative.

    0 for the background itself and for a cast shadow on it (the renderer, like a camera, scales r, g and b
    alike). A background channel at the clipping point may hide a higher true value, which a shadow reveals:
    such a channel may come out up to HEADROOM brighter than the others.
    """
    q = (rgb + 1.0) / (background + 1.0)
    clipped = background >= CLIPPED
    free = ~clipped
    n_free = free.sum(axis=-1)
    k = np.where(n_free > 0, (q * free).sum(axis=-1) / np.maximum(n_free, 1), q.min(axis=-1))
    k3 = k[..., None]
    dev = np.where(free, np.abs(q - k3), np.maximum(np.maximum(k3 - q, q - k3 * (1 + HEADROOM)), 0.0))
    return dev.max(axis=-1) / np.maximum(k, 0.05)


def _ring(shape: tuple[int, int], band: int) -> np.ndarray:
    ring = np.zeros(shape, bool)
    ring[:band], ring[-band:], ring[:, :band], ring[:, -band:] = True, True, True, True
    return ring


def _gradient(rgb: np.ndarray) -> np.ndarray:
    """Lab gradient magnitude, units per pixel (L on 0..100)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab = cv2.GaussianBlur(lab, (0, 0), 0.7)
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0) / 8.0
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1) / 8.0
    return np.sqrt((gx * gx + gy * gy).sum(axis=-1))


class GrabCutLabeller:
    name = "grabcut"

    def __init__(self, config: GrabCutConfig):
        self.config = config

    def key(self) -> str:
        """Identifies labeller + config: labels made under another key are redone."""
        return f"grabcut-v2-{self.config.work_size}-{self.config.iterations}"

    def label(self, image: np.ndarray, category: str | None) -> list[Instance]:
        h, w = image.shape[:2]
        scale = self.config.work_size / max(h, w)
        small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA) if scale < 1 else image
        sh, sw = small.shape[:2]
        band = max(2, round(BORDER * max(sh, sw)))
        ring = _ring((sh, sw), band)

        rgb = small.astype(np.float32)
        bgm = _coons_background(rgb, band)
        lum, blum = rgb.sum(axis=-1) + 3.0, bgm.sum(axis=-1) + 3.0
        ratio = lum / blum
        # chromaticity (r, g, b shares) against the background's, in percent points; a 3x3 mean tames JPEG noise.
        # A cast shadow scales the background's r, g, b alike: it keeps the chromaticity and lowers the ratio.
        chroma = 100.0 * np.linalg.norm(cv2.blur(rgb / lum[..., None] - bgm / blum[..., None], (3, 3)), axis=-1)
        grad = _gradient(small)

        pure = (ratio > 1 - PURE_DARKER) & (ratio < 1 + PURE_BRIGHTER) & (chroma < PURE_CHROMA)
        shadowish = (ratio < 1 + PURE_BRIGHTER) & (ratio > SHADOW_MIN) & (chroma < SHADOW_CHROMA)
        smooth = (shadowish & (grad < EDGE)).astype(np.uint8)
        n, comp = cv2.connectedComponents(smooth, connectivity=4)
        outside = np.zeros(n, bool)
        outside[np.unique(comp[ring & (smooth > 0)])] = True
        if n > 1:  # enclosed smooth regions that are mostly plain background: real holes
            pure_share = ndimage.mean(pure, comp, index=np.arange(n))
            outside |= pure_share > 0.5
        outside[0] = False
        background = outside[comp]

        strong = (chroma > SURE_CHROMA) | (ratio > 1 + SURE_BRIGHTER) | (ratio < SHADOW_MIN)
        sure = ~background & ((~shadowish & ~pure & (grad < EDGE)) | strong)
        seeds = np.full((sh, sw), cv2.GC_PR_FGD, np.uint8)
        seeds[sure] = cv2.GC_FGD
        seeds[pure & ~sure] = cv2.GC_PR_BGD
        seeds[background] = cv2.GC_PR_BGD
        seeds[background & pure] = cv2.GC_BGD
        seeds[ring] = cv2.GC_BGD
        fg_seed = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
        if not fg_seed.any():
            return []
        mask = self._grabcut(small, seeds, fg_seed)
        mask = _clean(mask, sure, pure)
        if not mask.any():
            return []
        score = 0.9
        if scale < 1:
            mask = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) >= 0.5
        return [Instance(mask=mask, class_name=category, score=score)]

    def _grabcut(self, small: np.ndarray, seeds: np.ndarray, fg_seed: np.ndarray) -> np.ndarray:
        """GrabCut on the crop around the candidate product (outside it everything is background)."""
        ys, xs = np.nonzero(fg_seed)
        m = 8
        y0, y1 = max(ys.min() - m, 0), min(ys.max() + m + 1, seeds.shape[0])
        x0, x1 = max(xs.min() - m, 0), min(xs.max() + m + 1, seeds.shape[1])
        crop = np.ascontiguousarray(seeds[y0:y1, x0:x1])
        crop[0, :], crop[-1, :], crop[:, 0], crop[:, -1] = (cv2.GC_BGD,) * 4
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        try:
            cv2.grabCut(cv2.cvtColor(np.ascontiguousarray(small[y0:y1, x0:x1]), cv2.COLOR_RGB2BGR), crop, None,
                        bgd, fgd, self.config.iterations, cv2.GC_INIT_WITH_MASK)
        except cv2.error:  # degenerate seeds (e.g. one class empty): keep them as they are
            pass
        mask = np.zeros(seeds.shape, bool)
        mask[y0:y1, x0:x1] = (crop == cv2.GC_FGD) | (crop == cv2.GC_PR_FGD)
        return mask


def _clean(mask: np.ndarray, sure: np.ndarray, pure: np.ndarray) -> np.ndarray:
    """Drop specks without sure product in them; fill enclosed holes that are not plain background."""
    mask = mask | sure
    labels, n = ndimage.label(mask)
    if n > 1:
        idx = np.arange(1, n + 1)
        areas = ndimage.sum(mask, labels, idx)
        sures = ndimage.sum(sure, labels, idx)
        keep = (areas >= 0.01 * areas.max()) | (sures >= 4)
        mask = np.isin(labels, idx[keep])
    holes = ndimage.binary_fill_holes(mask) & ~mask
    labels, n = ndimage.label(holes)
    if n:
        share = ndimage.mean(pure, labels, index=np.arange(1, n + 1))
        mask = mask | np.isin(labels, np.flatnonzero(share < 0.3) + 1)
    return mask
