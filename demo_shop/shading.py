"""Shared shading: material textures, rasterising parts into a G-buffer, lighting, cast shadows."""

from __future__ import annotations

import math

import cv2
import numpy as np

_FIX = 4  # fractional bits of the fixed-point coordinates handed to cv2 (sub-pixel edges)


def _noise(rng, h, w, cy, cx=None):
    """Smooth value noise (about unit spread) with features ~cy x cx px: an upsampled random grid."""
    cx = cy if cx is None else cx
    grid = rng.standard_normal((max(2, int(h / cy) + 2), max(2, int(w / cx) + 2))).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def _grain(rng, h, w, s):
    """Wood: wavy growth rings and fibre streaks along the piece's long side."""
    if h > w:
        return _grain(rng, w, h, s).T
    y = np.arange(h, dtype=np.float32)[:, None]
    warp = 6 * s * _noise(rng, h, w, 10 * s, 90 * s)
    rings = np.sin((y + warp) * (2 * math.pi / (5 * s)))
    return 1 + 0.08 * rings + 0.06 * _noise(rng, h, w, s, 40 * s)


def _albedo(mat, h, w, rng, s):
    """Per-pixel colour planes (r, g, b) of a part's bounding box; s = supersampled px per px of a
    512 image."""
    t = mat.tex
    if t in ("fabric", "velvet", "boucle"):
        f = 1 + 0.05 * _noise(rng, h, w, s) + 0.02 * _noise(rng, h, w, 25 * s)
        if t == "fabric":  # fine plain weave
            y, x = np.ogrid[:h, :w]
            f += 0.04 * np.sin(x * (2 * math.pi / (3 * s))) * np.sin(y * (2 * math.pi / (3 * s)))
        elif t == "boucle":  # looped yarn: coarse nubby texture
            f += 0.07 * _noise(rng, h, w, 2.5 * s)
        elif t == "velvet":  # pile catches light in broad patches
            f += 0.1 * _noise(rng, h, w, 45 * s)
    elif t == "leather":
        f = 1 + 0.05 * _noise(rng, h, w, 3 * s) + 0.07 * _noise(rng, h, w, 30 * s)
    elif t == "wood":
        f = _grain(rng, h, w, s)
    elif t == "metal":  # brushed along the long side
        f = 1 + (0.06 * _noise(rng, h, w, s, 30 * s) if w > h else 0.06 * _noise(rng, h, w, 30 * s, s))
    elif t == "ceramic":
        f = 1 + 0.03 * _noise(rng, h, w, 40 * s)
    elif t == "speckle":  # stoneware flecks
        flecks = cv2.resize((rng.random((h // 3 + 1, w // 3 + 1)) < 0.02).astype(np.float32), (w, h),
                            interpolation=cv2.INTER_NEAREST)
        f = 1 + 0.03 * _noise(rng, h, w, 30 * s) - 0.45 * flecks
    elif t == "terracotta":
        f = 1 + 0.06 * _noise(rng, h, w, 2 * s) + 0.06 * _noise(rng, h, w, 25 * s)
    elif t == "soil":
        f = 0.75 + 0.3 * _noise(rng, h, w, 1.5 * s) + 0.1 * _noise(rng, h, w, 8 * s)
    elif t == "leaf":
        f = 1 + 0.07 * _noise(rng, h, w, 12 * s)
    elif t == "banded":  # snake-plant cross bands
        y = np.arange(h, dtype=np.float32)[:, None]
        f = 1 + 0.16 * np.sin(y * (2 * math.pi / (9 * s)) + 2.5 * _noise(rng, h, w, 8 * s)) ** 3
    elif t == "weave":  # basket weave: alternating over/under strands
        y, x = np.ogrid[:h, :w]
        p = 7 * s
        f = 0.85 + 0.3 * np.abs(np.sin(x * math.pi / p + (y // p % 2) * math.pi / 2)) * (1 - 0.4 * (y % p < s))
    elif t == "channel":  # channel-tufted upholstery
        x = np.arange(w, dtype=np.float32)[None, :]
        f = 0.72 + 0.28 * np.abs(np.sin(x * math.pi / (22 * s))) ** 0.4 + 0.04 * _noise(rng, h, w, s)
    else:
        return [np.float32(c) for c in mat.rgb]
    if mat.rgb2 is None:
        return [np.float32(c) * f for c in mat.rgb]
    stripe = (np.arange(w)[None, :] // (12 * s)) % 2 == 1  # stripes across the width of the part
    return [np.where(stripe, np.float32(c2), np.float32(c)) * f for c, c2 in zip(mat.rgb, mat.rgb2)]


# --------------------------------------------------------------------------- rasterising and lighting


def _unit(nx, ny, nz):
    inv = 1 / np.sqrt(np.maximum(nx * nx + ny * ny + nz * nz, 1e-12))
    return [nx * inv, ny * inv, nz * inv]


def _normals(part, m, k):
    """Normal planes (x, y, z) of one part from its own mask m, so any outline gets sensible
    shading; scalars for flat parts. Not normalised: lighting normalises after downsampling."""
    h, w = m.shape
    bx, by, bz = (np.float32(c) for c in part.normal)
    if part.shape == "flat":
        return [bx, by, bz]
    if part.shape == "bulge":  # rounded edges: tilt outwards within `round` of the outline
        d = cv2.distanceTransform(m, cv2.DIST_L2, 3)
        tilt = 0.8 * (1 - np.minimum(d / max(part.round * k, 1.0), 1))  # not quite edge-on: no black rims
        flat = 1 - tilt
        # the distance grows inwards, so minus its gradient (central differences) points outwards
        gx = cv2.Sobel(d, cv2.CV_32F, 1, 0, ksize=1) * (-0.5 * tilt)
        gy = cv2.Sobel(d, cv2.CV_32F, 0, 1, ksize=1) * (-0.5 * tilt)
        return [bx * flat + gx, by * flat + gy, bz * flat]
    if part.shape == "cyl":  # body of revolution: each row is a circle slice, its radius from the mask
        rows = m.astype(bool)
        left = np.argmax(rows, 1).astype(np.float32)
        right = (w - 1 - np.argmax(rows[:, ::-1], 1)).astype(np.float32)
        radius = np.maximum((right - left) / 2 + 0.5, 0.5)
        # radius shrinking downwards -> the surface faces down; smoothed so pixel steps do not band
        slope = np.clip(np.gradient(cv2.GaussianBlur(radius[:, None], (1, 0), 2 + h / 60)[:, 0]), -2, 2)
        xx = np.arange(w, dtype=np.float32)[None, :]
        sx = np.clip((xx - ((left + right) / 2)[:, None]) / radius[:, None], -1, 1)
        a = (1 / np.sqrt(1 + slope**2))[:, None]
        return [sx * a, np.broadcast_to(-slope[:, None] * a, (h, w)), np.sqrt(1 - sx**2) * a]
    # "dish": the inside of a bowl or cup faces inwards
    ys, xs = np.nonzero(m)
    cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
    rx, ry = max(np.ptp(xs) / 2, 1), max(np.ptp(ys) / 2, 1)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    return [-0.8 * (xx - cx) / rx, -0.8 * (yy - cy) / ry, np.ones_like(xx)]


def _draw(m, part, pts, k):
    """Rasterise one part's outline (pts in m's pixel coordinates, k px per unit) into uint8 mask m."""
    fixed = [np.round(p * (1 << _FIX)).astype(np.int32) for p in pts]
    if part.width:
        cv2.polylines(m, fixed, part.closed, 1, max(1, round(part.width * k)), cv2.LINE_8, _FIX)
    elif part.union:
        for poly in fixed:
            cv2.fillPoly(m, [poly], 1, cv2.LINE_8, _FIX)
    else:
        cv2.fillPoly(m, fixed, 1, cv2.LINE_8, _FIX)


def _fill_ratio(parts, lo, hi):
    """Share of its bounding box that the silhouette covers (a cheap low-res raster), so products
    can be sized by their area rather than their box."""
    k = 128 / max(hi - lo)
    w, h = np.ceil((hi - lo) * k).astype(int) + 1
    m = np.zeros((h, w), np.uint8)
    for part in parts:
        _draw(m, part, [(p - lo) * k for p in part.polys], k)
    return max(float(m.sum()) / ((hi - lo)[0] * (hi - lo)[1] * k * k), 0.05)


def _rasterise(parts, to_px, shape, rng, s, k):
    """Paint parts back to front into G-buffer planes (albedo rgb, normal xyz) and a part-label map
    (0 = empty), at the supersampled resolution. Per-part constants (gloss...) go by label."""
    planes = np.zeros((6, *shape), np.float32)
    label = np.zeros(shape, np.uint16)
    for i, part in enumerate(parts):
        pts = [to_px(p) for p in part.polys]
        allp = np.concatenate(pts)
        pad = part.width * k / 2 + 2
        x0, y0 = np.maximum(np.floor(allp.min(0) - pad).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(allp.max(0) + pad).astype(int) + 1, (shape[1], shape[0]))
        if x1 <= x0 or y1 <= y0:
            continue
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        _draw(m, part, [p - (x0, y0) for p in pts], k)
        inside = m.astype(bool)
        if not inside.any():
            continue
        values = _albedo(part.mat, *m.shape, rng, s) + _normals(part, m, k)
        for plane, value in zip(planes[:, y0:y1, x0:x1], values):
            np.copyto(plane, value, where=inside)
        np.copyto(label[y0:y1, x0:x1], np.uint16(i + 1), where=inside)
    return planes, label


def _light(rng):
    """A key light from above-front (left or right), a weaker opposite reflection, light colour."""
    key = np.array([rng.uniform(-0.8, 0.8), -rng.uniform(0.5, 1.1), rng.uniform(0.5, 1.0)])
    key /= np.linalg.norm(key)
    fill = np.array([-key[0], -0.3, 0.9]) / np.linalg.norm([-key[0], -0.3, 0.9])
    colour = 1 + rng.uniform(-0.04, 0.04, 3)
    return key.astype(np.float32), fill.astype(np.float32), colour.astype(np.float32)


def _half(light):
    """Blinn-Phong half vector between a light and the camera."""
    half = light + np.float32([0, 0, 1])
    return half / np.linalg.norm(half)


def _shade(alb, n, label, mats, bg, light, s1):
    """Light the 1x G-buffer (albedo and normal, h x w x 3); per-part material constants are looked
    up by label. Glass mixes in the (slightly refracted) background behind it."""
    key, fill, colour = light
    table = np.float32([(0, 1, 0)] + [(m.gloss, m.shine, m.clear) for m in mats])[label]
    gloss, shine, clear = table[..., 0], table[..., 1], table[..., 2]
    n = np.stack(_unit(*np.moveaxis(n, -1, 0)), -1)
    # glass seen edge-on reflects (a darker room) instead of transmitting: dark outlines
    reflect = np.where(clear > 0, 0.4, 1.0).astype(np.float32)
    clear = clear * np.clip(n[..., 2] / 0.3, 0, 1)
    diffuse = np.clip((n @ key + 0.3) / 1.3, 0, 1)  # wrapped Lambert: soft terminator
    spec = gloss * (np.clip(n @ _half(key), 0, 1) ** shine + 0.35 * np.clip(n @ _half(fill), 0, 1) ** shine)
    # crevices between parts (cushion seams, joints) catch less light
    edge = np.zeros(label.shape, np.float32)
    diff_x = (label[:, 1:] != label[:, :-1]) & (label[:, 1:] > 0) & (label[:, :-1] > 0)
    diff_y = (label[1:] != label[:-1]) & (label[1:] > 0) & (label[:-1] > 0)
    edge[:, 1:] += diff_x
    edge[1:] += diff_y
    crevice = 1 - 0.3 * np.clip(cv2.GaussianBlur(edge, (0, 0), 0.8 * s1) * 2, 0, 1)
    lit = alb * ((0.38 + 0.72 * diffuse) * crevice)[..., None] * colour
    if clear.any():
        h, w = clear.shape
        yy, xx = np.mgrid[:h, :w].astype(np.float32)
        bend = 5 * s1 * clear
        behind = cv2.remap(bg, xx - bend * n[..., 0], yy - bend * n[..., 1], cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT)
        lit = lit * (reflect * (1 - clear))[..., None] + behind * alb * clear[..., None]
    return lit + spec[..., None] * colour


def _shadow(mask, top, base, key, strength, S):
    """Soft floor shadow of the silhouette, as a background multiplier: the silhouette laid back
    onto the floor and sheared away from the light, plus ambient occlusion (blurred silhouette) in
    the lower part, which darkens the floor between legs and where the product stands. Computed at
    1/4 size, it is cheap."""
    q = 4
    small = cv2.resize(mask.astype(np.float32), (S // q, S // q), interpolation=cv2.INTER_AREA)
    b, height = base / q, (base - top) / q
    m = np.float32([[1, 1.2 * key[0], -1.2 * key[0] * b], [0, 0.3, 0.7 * b]])
    cast = cv2.GaussianBlur(cv2.warpAffine(small, m, small.shape[::-1]), (0, 0), 4.0 * S / 512)
    near_floor = np.clip(1 - (b - np.arange(S // q, dtype=np.float32)[:, None]) / (0.4 * height), 0, 1)
    ao = cv2.GaussianBlur(small, (0, 0), 3.0 * S / 512) + cv2.GaussianBlur(small, (0, 0), 1.0 * S / 512)
    shade = np.clip(0.45 * cast + 1.5 * ao * near_floor, 0, 1)
    return 1 - strength * cv2.resize(shade, (S, S), interpolation=cv2.INTER_LINEAR)[..., None]
