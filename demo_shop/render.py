"""Procedural product photos with exact masks, for the embedded demo shop.

A product's look (class, proportions, colours, materials) is drawn once by
``random_look``; every photo of it is a ``render`` with its own rng, which picks
the view (camera angle, mirror), size and position, light and background.

Products are built from flat parts in a simple oblique 3D projection and
rasterised back to front at 2x into a small G-buffer (albedo, normal, gloss,
transparency). The buffer is averaged down to 1x, where coverage >= 0.5 becomes
the mask; lighting and compositing then use exactly that mask, so every product
pixel of the image is in the mask and every other pixel (cast shadow included)
is background.

The pieces: ``looks`` (what a product looks like), ``parts`` (geometry and materials),
``products`` (one builder per class), ``shading`` (textures, rasterising, light, shadows),
``rooms`` (studio and room backgrounds); this module places the product and composites the photo.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from demo_shop.looks import ProductLook, _coin
from demo_shop.parts import _mirror, _View
from demo_shop.products import _RENDERERS
from demo_shop.rooms import _room_background, _studio_background
from demo_shop.shading import _fill_ratio, _light, _rasterise, _shade, _shadow

SHOTS = ("studio", "lifestyle")
_SS = 2  # supersampling factor of the product layer


def _place(rng, S, ext, fill, lifestyle, horizon):
    """Pixel scale and position of the product bounding box: (scale, left, bottom). The product is
    sized for its silhouette (fill = share of its box) to cover a random share of the image."""
    frac = (rng.uniform(0.08, 0.36) if lifestyle else rng.uniform(0.15, 0.55)) / fill  # box share of the image
    aspect = ext[0] / ext[1]
    h = math.sqrt(frac / aspect) * S
    m = 0.03 * S + 3  # margin
    h = min(h, (S - 2 * m) / aspect, S - 2 * m)
    bottom_lo = max(h + m, horizon + 0.04 * S) if lifestyle else h + m
    if bottom_lo > S - m:  # too tall to stand on the visible floor: shrink
        h -= bottom_lo - (S - m)
        bottom_lo = S - m
    w = h * aspect
    left = m + (S - 2 * m - w) * rng.beta(2, 2)
    bottom = bottom_lo + (S - m - bottom_lo) * rng.beta(2, 1.5)
    return h / ext[1], left, bottom


def _product_layer(parts, lo, hi, scale, left, bottom, rng, S):
    """Rasterise the product at _SS x on a canvas around it and average down to 1x. Returns the canvas
    origin (x, y) in the image, albedo and normal (h x w x 3, averaged over covered sub-pixels), the
    mask (coverage >= 0.5) and the part seen in each pixel (for material constants and seams)."""
    pad = 2
    ox, oy = int(left) - pad, int(bottom - (hi[1] - lo[1]) * scale) - pad
    cw, ch = int(math.ceil((hi[0] - lo[0]) * scale)) + 2 * pad + 1, int(bottom) - oy + pad + 1
    k = scale * _SS
    shift = np.array([(left - ox) * _SS, (bottom - oy) * _SS - (hi[1] - lo[1]) * k])
    planes, label = _rasterise(parts, lambda q: (q - lo) * k + shift, (ch * _SS, cw * _SS), rng, _SS * S / 512, k)
    down = [cv2.resize(p, (cw, ch), interpolation=cv2.INTER_AREA) for p in (*planes, (label > 0).astype(np.float32))]
    cover = down[6]
    g = np.stack(down[:6], -1) / np.maximum(cover, 1e-6)[..., None]
    label1 = np.maximum.reduce([label[dy::_SS, dx::_SS] for dy in range(_SS) for dx in range(_SS)])
    # specks a few pixels big (tips of thin leaves breaking up) would be noise in the mask: drop them
    # from the mask, and so from the product: the composite uses exactly this mask
    local = cover >= 0.5
    _, comp, stats, _ = cv2.connectedComponentsWithStats(local.astype(np.uint8), connectivity=8)
    speck = stats[:, cv2.CC_STAT_AREA] < max(2.0, S * S / 40000)
    speck[0] = False
    return (ox, oy), g[..., :3], g[..., 3:], local & ~speck[comp], label1


def render(look: ProductLook, shot: str, rng: np.random.Generator,
           size: int = 512) -> tuple[Image.Image, np.ndarray]:
    """Photograph a product: shot is "studio" or "lifestyle". Returns (RGB image size x size,
    bool mask size x size: True exactly on the product's pixels)."""
    if shot not in SHOTS:
        raise ValueError(f"unknown shot {shot!r}; expected one of {SHOTS}")
    S = size
    view = _View(kx=rng.uniform(0.1, 0.38), ky=rng.uniform(0.14, 0.38))
    parts = _RENDERERS[look.class_name](look.params, view)
    if rng.random() < 0.5:
        parts = [_mirror(p) for p in parts]
    pts = np.concatenate([q for p in parts for q in p.polys])
    grow = max(p.width for p in parts) / 2
    lo, hi = pts.min(0) - grow, pts.max(0) + grow
    lifestyle = shot == "lifestyle"
    horizon = rng.uniform(0.35, 0.62) * S if lifestyle else 0.0
    scale, left, bottom = _place(rng, S, hi - lo, _fill_ratio(parts, lo, hi), lifestyle, horizon)
    top = bottom - (hi[1] - lo[1]) * scale
    (ox, oy), albedo, normal, local, label = _product_layer(parts, lo, hi, scale, left, bottom, rng, S)
    # the canvas pokes out of the image only for tiny sizes: clip it
    x0, y0, x1, y1 = max(ox, 0), max(oy, 0), min(ox + local.shape[1], S), min(oy + local.shape[0], S)
    sl = (slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox))
    mask = np.zeros((S, S), bool)
    mask[y0:y1, x0:x1] = local[sl]

    if lifestyle:
        box = (left, top, left + (hi[0] - lo[0]) * scale, bottom)
        small = look.class_name in ("vase", "bowl", "cup", "wine-glass") or (
            look.class_name == "potted-plant" and _coin(rng, 0.5))
        bg = _room_background(rng, S, horizon, box, tabletop=small)
        bg = cv2.GaussianBlur(bg, (0, 0), rng.uniform(0.6, 1.8) * S / 512)  # background slightly out of focus
    else:
        bg = _studio_background(rng, S)
    light = _light(rng)
    strength = rng.uniform(0.45, 0.7) if lifestyle else rng.uniform(0.25, 0.45)
    strength *= 0.4 if look.class_name == "wine-glass" else 1.0  # glass lets most light through
    bg = bg * _shadow(mask, top, bottom, light[0], strength, S)

    # composite with exactly the mask: product pixels are lit product, all others background
    region = bg[y0:y1, x0:x1]
    lit = _shade(albedo[sl], normal[sl], label[sl], [p.mat for p in parts], region, light, S / 512)
    bg[y0:y1, x0:x1] = np.where(mask[y0:y1, x0:x1, None], lit, region)

    # camera: white balance, exposure and a little sensor noise
    bg *= rng.uniform(0.97, 1.03) * (1 + rng.uniform(-0.02, 0.02, 3)).astype(np.float32)
    grain = rng.standard_normal((128, 128), dtype=np.float32) * rng.uniform(0.004, 0.012)
    bg += np.tile(grain, (S // 128 + 1, S // 128 + 1))[:S, :S, None]
    return Image.fromarray(np.clip(bg * 255 + 0.5, 0, 255).astype(np.uint8), "RGB"), mask
