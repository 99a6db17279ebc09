"""The offline labeller: OpenCV GrabCut seeded from a background model of the image border.

Meant for studio shots (a product on a plain or gradient background). Where the
border is not one smooth background (a room), the score says so: such labels
come out below the acceptance threshold instead of being silently accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from labelling.instances import Instance, fill_holes_where, keep_large_components
from prodseg.settings import GrabCutConfig

BORDER = 0.04          # border band, as a share of the long side, that models the background
DIP = 0.01             # a border profile this far below its smooth upper envelope is shadowed there
ENVELOPE_DEGREE = 2    # ... a polynomial of this degree
PURE_DARKER = 0.03     # brightness within this share below ...
PURE_BRIGHTER = 0.05   # ... or above the background model (which a shadow in the border band biases low) ...
PURE_TINT = 0.02       # ... with the background's hue (see _tint): background itself
SHADOW_MIN = 0.45      # a cast shadow darkens the background to no less than this share of its brightness ...
SHADOW_TINT = 0.02     # ... and keeps its hue
HOLE_RATIO = 0.02      # an enclosed region this close to the background (mean brightness ...
HOLE_TINT = 0.01       # ... and median hue) is a real hole: background seen through the product
TEXTURE = 3.0          # finer texture than this many times the border's grain: not background
SPECK = 0.01           # mask pieces smaller than this share of the largest are dropped
DETAIL = 6.0           # pixel-scale detail this many times the border's: product (see _analyse)
SHADE_TINT = 0.012     # an enclosed region this close to the background's hue (mean), and darker, may be a shadow
EDGE = 2.0             # Lab gradient (units per pixel) above which a pixel is an edge: product outlines are sharp
SURE_TINT = 0.08       # this far from the background's hue: surely product
SURE_BRIGHTER = 0.10   # brighter than the background by this share: surely product (a shadow only darkens)
CLIPPED = 250          # a background channel this bright may be clipped: its true value can be higher
HEADROOM = 0.07        # ... by up to this share
REFINE_SIDE = 1024     # the outline is redrawn at the image's resolution, up to this long side, ...
REFINE_BAND = 2        # full-resolution pixels either side of the upscaled outline that are redrawn ...
REFINE_CONTRAST = 12.0 # ... where product and background differ by this much (RGB distance)
ROUGH = 0.005          # a studio background's sides: brightness texture (90th percentile) below this,
STEP = 0.02            # ... no brightness step above this,
HUE_STEP = 0.025       # ... no hue step above this,
SPREAD = 0.08          # ... and the band's pixels within this of the model (90th percentile)


def _lift_shadows(profile: np.ndarray) -> np.ndarray:
    """A border profile (length x channels) with the dips a cast shadow leaves in it lifted back.

    A studio background varies smoothly along a side; a shadow reaching the border only darkens it, keeping its
    hue. A smooth upper envelope of the brightness (a polynomial refitted to the points not below it) tells the
    dips, which are scaled back up to it.
    """
    n = len(profile)
    if n < 8:
        return profile
    bright = profile.sum(axis=-1)
    basis = np.vander(np.linspace(-1.0, 1.0, n), ENVELOPE_DEGREE + 1)
    keep = np.ones(n, bool)
    for _ in range(4):
        coef = np.linalg.lstsq(basis[keep], bright[keep], rcond=None)[0]
        fit = basis @ coef
        below = bright < fit * (1 - DIP)
        if (~below).sum() < 6 or np.array_equal(keep, ~below):
            break
        keep = ~below
    lifted = profile.copy()
    lifted[below] *= (fit[below] / np.maximum(bright[below], 1.0))[:, None]
    return lifted


def _border_profiles(img: np.ndarray, band: int) -> list[np.ndarray]:
    """The background along each side (top, bottom, left, right): medians across the border band, with the
    dips of shadows reaching the border lifted back."""
    return [_lift_shadows(np.median(img[:band], axis=0)), _lift_shadows(np.median(img[-band:], axis=0)),
            _lift_shadows(np.median(img[:, :band], axis=1)), _lift_shadows(np.median(img[:, -band:], axis=1))]


def _coons_background(profiles: list[np.ndarray], h: int, w: int) -> np.ndarray:
    """A smooth background estimate inside the image, interpolated from the four border profiles.

    Handles flat, linear-gradient and vignetted studio backgrounds alike.
    """
    top, bottom, left, right = profiles
    v = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    u = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
    corners = (top[0], top[-1], bottom[0], bottom[-1])
    ruled = (1 - v) * top[None] + v * bottom[None] + (1 - u) * left[:, None] + u * right[:, None]
    bilinear = ((1 - u) * (1 - v) * corners[0] + u * (1 - v) * corners[1]
                + (1 - u) * v * corners[2] + u * v * corners[3])
    return (ruled - bilinear).astype(np.float32)


def _roughness(profiles: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per border point: brightness (signed) and hue departure from the profile's own smooth trend.

    A studio background is smooth along every side; a room's border crosses walls, floor, furniture and
    clutter: steps and texture.
    """
    bright, hue = [], []
    for profile in profiles:
        n = len(profile)
        trend = cv2.GaussianBlur(profile.reshape(n, 1, 3), (1, 0), max(2.0, 0.025 * n)).reshape(n, 3)
        bright.append((profile.sum(axis=-1) + 3.0) / (trend.sum(axis=-1) + 3.0) - 1.0)
        q = (profile + 1.0) / (trend + 1.0)
        hue.append(np.abs(q - q.mean(axis=-1, keepdims=True)).max(axis=-1))
    return np.concatenate(bright), np.concatenate(hue)


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


@dataclass
class _Evidence:
    """Per-pixel evidence at the working size, and the regions found from it."""

    small: np.ndarray        # the image at the working size, RGB uint8
    band: int                # border band width (pixels)
    ring: np.ndarray         # the border band
    background: np.ndarray   # the background model (RGB float)
    rough: np.ndarray        # per border point, brightness departure from the side's smooth trend
    rough_hue: np.ndarray    # ... and hue departure
    ratio: np.ndarray        # brightness against the background model (1: as bright)
    tint: np.ndarray         # hue distance from the background (see _tint)
    grad: np.ndarray         # Lab gradient magnitude
    texture: np.ndarray      # fine texture
    detail: np.ndarray       # the finest detail, well above the border's: no shadow has it
    grain: float             # the border's own fine texture
    pure: np.ndarray         # looks like the background itself
    shadowish: np.ndarray    # looks like the background or a shadow on it
    comp: np.ndarray         # components of smooth background/shadow-like pixels (0: none)
    kind: np.ndarray         # per component: 0 not one, 1 reached from the border, 2 real hole, 3 shadow, 4 face


REACHED, HOLE, SHADE, FACE = 1, 2, 3, 4


def _analyse(small: np.ndarray) -> _Evidence:
    sh, sw = small.shape[:2]
    band = max(2, round(BORDER * max(sh, sw)))
    ring = _ring((sh, sw), band)
    rgb = small.astype(np.float32)
    profiles = _border_profiles(rgb, band)
    bgm = np.clip(_coons_background(profiles, sh, sw), 0.0, 255.0)
    rough, rough_hue = _roughness(profiles)
    ratio = (rgb.sum(axis=-1) + 3.0) / (bgm.sum(axis=-1) + 3.0)
    tint = _tint(cv2.medianBlur(small, 3).astype(np.float32), bgm)   # a 3x3 median tames JPEG's colour noise
    grad = _gradient(small)
    # fine texture (fabric, wood grain) against the background's own (camera grain, JPEG), measured on the ring
    # (away from edges, whose own high frequencies would spill into narrow gaps)
    flat = (grad < EDGE).astype(np.float32)
    high = np.abs(ratio - cv2.GaussianBlur(ratio, (0, 0), 1.0)) * flat
    texture = cv2.GaussianBlur(high, (0, 0), 2.0) / np.maximum(cv2.GaussianBlur(flat, (0, 0), 2.0), 1e-3)
    grain = max(float(np.median(texture[ring])), 0.002)
    # the finest detail (a glass stem's highlights, a painted frame's grain) marks product even where the
    # colour could be a shadow's: shadows are smooth at every scale
    finest = cv2.GaussianBlur(np.abs(ratio - cv2.GaussianBlur(ratio, (0, 0), 0.5)), (0, 0), 1.0)
    pure = (ratio > 1 - PURE_DARKER) & (ratio < 1 + PURE_BRIGHTER) & (tint < PURE_TINT)
    detail = (finest >= DETAIL * max(float(np.median(finest[ring])), 0.001)) & (grad < EDGE) & ~pure
    shadowish = (ratio < 1 + PURE_BRIGHTER) & (ratio > SHADOW_MIN) & (tint < SHADOW_TINT)
    # Background: smooth background- or shadow-coloured regions reached from the border without crossing
    # an edge (a soft shadow has none); product outlines are sharp and stop the flood.
    smooth = (shadowish & (grad < EDGE) & (texture < TEXTURE * grain)).astype(np.uint8)
    n, comp = cv2.connectedComponents(smooth, connectivity=4)
    kind = np.zeros(n, np.uint8)
    kind[np.unique(comp[ring & (smooth > 0)])] = REACHED
    kind[0] = 0
    enclosed = kind == 0
    enclosed[0] = False
    if enclosed.any():
        # Enclosed smooth regions: plain background (a mug's handle, between chair legs), a shadow
        # under the product, or a product face / glass that only looks like background or shadow.
        rows = np.flatnonzero((kind[comp] != REACHED).any(axis=1))
        top, bottom = rows[0], rows[-1]
        idx = np.arange(n)
        pure_share = ndimage.mean(pure, comp, idx)
        mean_tint = ndimage.mean(tint, comp, idx)
        # the median: a narrow gap's edge pixels pick up the product's colour through the 3x3 median filter
        mid_tint = ndimage.median(tint, comp, idx)
        mean_ratio = ndimage.mean(ratio, comp, idx)
        mean_y = ndimage.mean(np.broadcast_to(np.arange(sh)[:, None], (sh, sw)), comp, idx)
        area = np.bincount(comp.ravel(), minlength=n)
        hole = (enclosed & (pure_share > 0.5) & (area >= 8) & (np.abs(mean_ratio - 1) < HOLE_RATIO)
                & (mid_tint < HOLE_TINT))
        shade = (enclosed & ~hole & (mean_tint < SHADE_TINT) & (mean_ratio > 0.55) & (mean_ratio < 1.0)
                 & (mean_y > top + 0.5 * (bottom - top)))
        kind[enclosed] = FACE
        kind[shade] = SHADE
        kind[hole] = HOLE
    return _Evidence(small, band, ring, bgm, rough, rough_hue, ratio, tint, grad, texture, detail, grain, pure,
                     shadowish, comp, kind)


def _seeds(ev: _Evidence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GrabCut's seed map, the pixels that are surely product, and those the evidence calls background."""
    k = ev.kind[ev.comp]
    background = (k == REACHED) | (k == HOLE) | (k == SHADE)
    strong = (ev.tint > SURE_TINT) | (ev.ratio > 1 + SURE_BRIGHTER) | (ev.ratio < SHADOW_MIN)
    sure = ~background & ((~ev.shadowish & ~ev.pure & (ev.grad < EDGE)) | strong | (k == FACE) | ev.detail)
    seeds = np.full(ev.ratio.shape, cv2.GC_PR_FGD, np.uint8)
    seeds[ev.pure & ~sure] = cv2.GC_PR_BGD
    seeds[background] = cv2.GC_PR_BGD
    seeds[background & ev.pure] = cv2.GC_BGD
    seeds[sure] = cv2.GC_FGD
    seeds[ev.ring] = cv2.GC_BGD
    return seeds, sure, background


class GrabCutLabeller:
    name = "grabcut"
    weights_path = None  # no learned weights

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
        ev = _analyse(small)
        seeds, sure, background = _seeds(ev)
        fg_seed = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
        if not fg_seed.any():
            return []
        uniform = _uniformity(ev)
        # a room's label is rejected whatever GrabCut makes of it (it is kept for review): one pass will do
        iterations = self.config.iterations if uniform > 0 else min(self.config.iterations, 1)
        mask = self._grabcut(small, seeds, fg_seed, iterations)
        mask = _clean(mask, sure, background, ev.pure)
        if not mask.any():
            return []
        score = _confidence(ev, mask, sure, uniform)
        if scale < 1:
            mask = _upscale(image, mask, ev.background)
        return [Instance(mask=mask, class_name=category, score=score)]

    def _grabcut(self, small: np.ndarray, seeds: np.ndarray, fg_seed: np.ndarray, iterations: int) -> np.ndarray:
        """GrabCut on the crop around the candidate product (outside it everything is background)."""
        ys, xs = np.nonzero(fg_seed)
        m = 8
        y0, y1 = max(ys.min() - m, 0), min(ys.max() + m + 1, seeds.shape[0])
        x0, x1 = max(xs.min() - m, 0), min(xs.max() + m + 1, seeds.shape[1])
        crop = np.ascontiguousarray(seeds[y0:y1, x0:x1])
        crop[0, :], crop[-1, :], crop[:, 0], crop[:, -1] = (cv2.GC_BGD,) * 4
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.setRNGSeed(0)  # GrabCut's k-means starts from OpenCV's global RNG: same image, same label
        try:
            cv2.grabCut(cv2.cvtColor(np.ascontiguousarray(small[y0:y1, x0:x1]), cv2.COLOR_RGB2BGR), crop, None,
                        bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
        except cv2.error:  # degenerate seeds (e.g. one class empty): keep them as they are
            pass
        mask = np.zeros(seeds.shape, bool)
        mask[y0:y1, x0:x1] = (crop == cv2.GC_FGD) | (crop == cv2.GC_PR_FGD)
        return mask


def _non_uniformity(ev: _Evidence) -> float:
    """How far the border is from one smooth background: about 0.5 for a studio sweep, 1 and more for a room.

    The root mean square of: texture along the sides, the largest brightness step up (a shadow only steps
    down), the largest hue step (a wall meeting the floor, a picture, a window) and the spread across the
    band's depth, each against what a studio background shows at most.
    """
    spread = np.abs(ev.ratio[ev.ring] - 1.0)
    parts = np.array([np.percentile(np.abs(ev.rough), 90) / ROUGH, ev.rough.max() / STEP,
                      ev.rough_hue.max() / HUE_STEP, np.percentile(spread, 90) / SPREAD])
    return float(np.sqrt(np.mean(parts ** 2)))


def _uniformity(ev: _Evidence) -> float:
    """1 for a plain studio background, 0 for a room; 0.5 where the border is half way."""
    return float(np.clip((1.0 - _non_uniformity(ev)) / 0.3, 0.0, 1.0))


def _confidence(ev: _Evidence, mask: np.ndarray, sure: np.ndarray, uniform: float) -> float:
    """A score in [0, 1]: a plain studio background, and a mask that looks like one product in the frame,
    most of it drawn from sure evidence rather than decided by GrabCut (where the labels are less accurate)."""
    area = mask.mean()
    sane_area = 1.0 if 0.003 <= area <= 0.85 else 0.5
    b = ev.band
    edge = np.zeros_like(mask)
    edge[b:-b, b:-b] = True
    edge[b + 2:-b - 2, b + 2:-b - 2] = False
    inside = 1.0 - 0.3 * min(1.0, 5.0 * mask[edge].mean())       # products sit inside the frame
    labels, n = ndimage.label(mask)
    parts = int((np.bincount(labels.ravel())[1:] >= 0.02 * mask.sum()).sum()) if n else 0
    whole = 1.0 if parts <= 3 else 0.8                                # one product, maybe in a few pieces
    unsure = (mask & ~sure).sum() / max(mask.sum(), 1)
    certain = 1.0 - 0.3 * np.clip((unsure - 0.1) / 0.4, 0.0, 1.0)
    return float(uniform * sane_area * inside * whole * certain)


def _upscale(image: np.ndarray, mask: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The working-size mask at the image's size, its outline redrawn at up to REFINE_SIDE resolution."""
    h, w = image.shape[:2]
    scale = min(1.0, REFINE_SIDE / max(h, w))
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    rh, rw = image.shape[:2]
    soft = cv2.resize(mask.astype(np.float32), (rw, rh), interpolation=cv2.INTER_LINEAR)
    model = cv2.resize(background, (rw, rh), interpolation=cv2.INTER_LINEAR)
    mask = _refine(image, soft >= 0.5, model)
    if scale < 1:
        mask = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) >= 0.5
    return mask


def _refine(image: np.ndarray, mask: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Redraw the upscaled mask's outline at the image's resolution, where the working size blurred it.

    Within a few pixels of the outline each pixel is read as a mix of the product colour just inside and the
    background just outside (or the model where none is near): product where the product's share is half or
    more -- the rule the masks are drawn by. Low-contrast stretches keep the upscaled outline.
    """
    h, w = mask.shape
    m8 = mask.astype(np.uint8)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * REFINE_BAND + 1, 2 * REFINE_BAND + 1))
    band = (cv2.dilate(m8, disc) > 0) & (cv2.erode(m8, disc) == 0)
    if not band.any():
        return mask
    ys, xs = np.nonzero(band)
    y0, y1 = max(ys.min() - 8, 0), min(ys.max() + 9, h)
    x0, x1 = max(xs.min() - 8, 0), min(xs.max() + 9, w)
    img = image[y0:y1, x0:x1].astype(np.float32)
    m8c = m8[y0:y1, x0:x1]
    bandc = band[y0:y1, x0:x1]
    ring = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * REFINE_BAND + 3, 2 * REFINE_BAND + 3))
    inner = cv2.erode(m8c, ring).astype(np.float32)
    outer = (cv2.dilate(m8c, ring) == 0).astype(np.float32)
    sigma = REFINE_BAND + 1.0

    def local_mean(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        wsum = cv2.GaussianBlur(weight, (0, 0), sigma)
        return cv2.GaussianBlur(img * weight[..., None], (0, 0), sigma) / np.maximum(wsum, 1e-6)[..., None], wsum

    fore, fw = local_mean(inner)
    back, bw = local_mean(outer)
    back = np.where((bw > 0.02)[..., None], back, background[y0:y1, x0:x1])
    diff = fore - back
    contrast = (diff * diff).sum(axis=-1)
    alpha = ((img - back) * diff).sum(axis=-1) / np.maximum(contrast, 1e-6)
    decide = bandc & (fw > 0.02) & (contrast > REFINE_CONTRAST ** 2)
    out = mask.copy()
    region = out[y0:y1, x0:x1]
    region[decide] = alpha[decide] >= 0.5
    return out


def _clean(mask: np.ndarray, sure: np.ndarray, background: np.ndarray, pure: np.ndarray) -> np.ndarray:
    """Sure product in, specks out, and the enclosed holes filled unless they are mostly background: seen
    as such (a mug's handle, the gap between chair legs) or found so (a shadow between the legs)."""
    mask = keep_large_components(mask | sure, SPECK)
    return fill_holes_where(mask, ~(background | pure))
