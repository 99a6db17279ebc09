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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
from PIL import Image

from prodseg.classes import PRODUCT_CLASSES

SHOTS = ("studio", "lifestyle")
_SS = 2  # supersampling factor of the product layer
_FIX = 4  # fractional bits of the fixed-point coordinates handed to cv2 (sub-pixel edges)
_N_FRONT = (0.0, 0.0, 1.0)  # screen-space normals: x right, y down, z towards the camera
_N_TOP = (0.0, -0.86, 0.51)
_N_SIDE = (0.86, 0.0, 0.51)


@dataclass(frozen=True)
class ProductLook:
    """What stays the same across all photos of one product."""

    class_name: str  # one of PRODUCT_CLASSES
    params: dict  # shape/colour/material params, JSON-serialisable


# --------------------------------------------------------------------------- parts and geometry


@dataclass(frozen=True)
class _Mat:
    rgb: tuple
    tex: str = "plain"  # albedo texture, see _albedo
    gloss: float = 0.05  # specular strength
    shine: float = 10.0  # specular exponent
    clear: float = 0.0  # glass: share of the background seen through
    rgb2: tuple | None = None  # second colour of "stripes"


@dataclass
class _Part:
    polys: list  # outlines in screen units (x right, y down); several polygons fill even-odd (holes)
    mat: _Mat
    shape: str = "flat"  # normals: "flat" (constant), "bulge" (rounded edges), "cyl" (lathe body), "dish" (concave)
    normal: tuple = _N_FRONT
    round: float = 0.0  # bulge radius, screen units
    width: float = 0.0  # > 0: polys are polylines stroked this wide
    closed: bool = False  # stroked polyline is a loop
    union: bool = False  # fill each polygon on its own (overlaps stay filled) instead of even-odd


@dataclass(frozen=True)
class _View:
    kx: float  # screen shift right per unit of depth (we look from the right; mirroring gives the left)
    ky: float  # screen shift up per unit of depth (camera height)

    def p(self, x, y, z):
        """3D (x right, y up, z away from the camera) -> screen (x right, y down)."""
        x, y, z = np.broadcast_arrays(*(np.asarray(c, float) for c in (x, y, z)))
        return np.stack([x + self.kx * z, -y - self.ky * z], -1)


def _rounded(pts, r, n=5):
    """Polygon with every corner replaced by a quadratic curve of radius ~r."""
    pts = np.asarray(pts, float)
    t = np.linspace(0, 1, n)[:, None]
    out = []
    for i in range(len(pts)):
        a, b, c = pts[i - 1], pts[i], pts[(i + 1) % len(pts)]
        la, lc = np.linalg.norm(a - b), np.linalg.norm(c - b)
        if la < 1e-9 or lc < 1e-9:
            continue
        rr = min(r, la / 2, lc / 2)
        p0, p2 = b + (a - b) / la * rr, b + (c - b) / lc * rr
        out.append((1 - t) ** 2 * p0 + 2 * t * (1 - t) * b + t**2 * p2)
    return np.concatenate(out)


def _ellipse(cx, cy, rx, ry, n=48, a0=0.0, a1=2 * math.pi):
    th = np.linspace(a0, a1, n, endpoint=a1 - a0 < 2 * math.pi - 1e-9)
    return np.stack([cx + rx * np.cos(th), cy + ry * np.sin(th)], 1)


def _box(v, x0, x1, y0, y1, z0, z1, mat, r=0.0):
    """Visible faces of an axis-aligned cuboid, back to front. With r > 0 (soft items: cushions,
    mattresses) the faces are rounded and drawn over the rounded silhouette, so no seams open."""
    c = v.p(*np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
                       [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]]).T)
    top, side, front = c[[3, 2, 6, 7]], c[[1, 5, 6, 2]], c[[0, 1, 2, 3]]
    if not r:
        return [_Part([f], mat, "flat", n) for f, n in ((top, _N_TOP), (side, _N_SIDE), (front, _N_FRONT))]
    hull = cv2.convexHull(c.astype(np.float32))[:, 0]
    return [_Part([_rounded(hull, r)], mat, "bulge", _N_FRONT, r),
            _Part([_rounded(top, r)], mat, "bulge", _N_TOP, r),
            _Part([_rounded(side, r)], mat, "bulge", _N_SIDE, r)]


def _leg(v, x, z, h, style, mat, w=0.05):
    """One leg from the floor up to height h at (x, z): a block, or round and maybe tapered."""
    if style == "block":
        return _box(v, x - w / 2, x + w / 2, 0, h, z - w / 2, z + w / 2, mat)
    top, foot = v.p(x, h, z), v.p(x, 0, z)
    tip = 0.5 if style == "taper" else 1.0
    quad = np.array([top - (w / 2, 0), top + (w / 2, 0), foot + (w * tip / 2, 0), foot - (w * tip / 2, 0)])
    return [_Part([quad], mat, "cyl")]


def _profile(ctrl, n=48):
    """Catmull-Rom curve through (height, radius) control points, bottom to top."""
    pts = np.asarray(ctrl, float)
    ext = np.vstack([pts[0], pts, pts[-1]])
    t = np.linspace(0, len(pts) - 1, n)
    i = np.minimum(t.astype(int), len(pts) - 2)
    u = (t - i)[:, None]
    p0, p1, p2, p3 = ext[i], ext[i + 1], ext[i + 2], ext[i + 3]
    c = 0.5 * (2 * p1 + (p2 - p0) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u**2 + (3 * p1 - p0 - 3 * p2 + p3) * u**3)
    return c[:, 0], np.maximum(c[:, 1], 0.005)


def _lathe(ys, rs, e):
    """Silhouette of a body of revolution (radius rs at heights ys, bottom to top) seen from slightly
    above (ellipse ratio e), as polygons to fill as a union: the side profile and the cross-section
    ellipses, so rounded bottoms and flared rims get their true outline."""
    ys, rs = np.asarray(ys, float), np.asarray(rs, float)
    side = np.concatenate([np.stack([rs, -ys], 1), np.stack([-rs[::-1], -ys[::-1]], 1)])
    sections = [*zip(ys[::-2], rs[::-2]), (ys[0], rs[0])]  # every other one: the side profile fills the gaps
    return [side] + [_ellipse(0, -y, r, e * r, 32) for y, r in sections]


def _band(ys, rs, y0, y1, e):
    """The front surface of a lathe body between heights y0 and y1 (a glaze dip, a stripe), bounded
    by the front halves of the two cross-section ellipses; from the very bottom it takes in the lower
    cross-sections too, as the body's outline does. Polygons to fill as a union."""
    keep = (ys > y0) & (ys < y1)
    yb = np.concatenate([[y0], ys[keep], [y1]])
    rb = np.interp(yb, ys, rs)
    th = np.linspace(0, math.pi, 17)
    outline = np.concatenate([
        np.stack([rb, -yb], 1), np.stack([rb[-1] * np.cos(th), -y1 + e * rb[-1] * np.sin(th)], 1),
        np.stack([-rb[::-1], -yb[::-1]], 1), np.stack([-rb[0] * np.cos(th), -y0 + e * rb[0] * np.sin(th)], 1)])
    low = (yb + e * rb <= y1 - e * rb[-1]) if y0 <= ys[0] else np.zeros(len(yb), bool)
    return [outline] + [_ellipse(0, -y, r, e * r, 32) for y, r in zip(yb[low], rb[low])]


def _leaf(base, angle, length, width, bend=0.0, fat=0.7, n=14):
    """Leaf blade outline and midrib: a bent midrib with a pointed tip; fat < 1 moves the widest
    point towards the base. angle is from vertical (radians, positive leans right)."""
    t = np.linspace(0, 1, n)
    d = np.array([math.sin(angle), -math.cos(angle)])
    side = np.array([-d[1], d[0]])
    mid = np.asarray(base, float) + np.outer(t * length, d) + np.outer(bend * length * t**2, side)
    tan = np.gradient(mid, axis=0)
    tan /= np.linalg.norm(tan, axis=1, keepdims=True)
    perp = np.stack([-tan[:, 1], tan[:, 0]], 1)
    hw = width / 2 * np.sin(math.pi * t**fat)
    return np.concatenate([mid + perp * hw[:, None], (mid - perp * hw[:, None])[::-1]]), mid


def _pillow(center, w, h, tilt=0.0):
    """Puffy pillow outline: a rectangle with bowed edges and pinched corners."""
    t = np.linspace(-1, 1, 9)[:-1]
    bow = 0.06 * np.cos(t * math.pi / 2)
    edges = [np.stack([t, -1 - bow], 1), np.stack([1 + bow, t], 1),
             np.stack([-t, 1 + bow], 1), np.stack([-1 - bow, -t], 1)]
    pts = np.concatenate(edges) * (w / 2, h / 2)
    c, s = math.cos(tilt), math.sin(tilt)
    return pts @ np.array([[c, s], [-s, c]]) + center


def _mirror(part):
    nx, ny, nz = part.normal
    return replace(part, polys=[p * (-1, 1) for p in part.polys], normal=(-nx, ny, nz))


# --------------------------------------------------------------------------- materials and textures


def _fabric(rgb, tex="fabric"):
    gloss, shine = {"leather": (0.3, 14.0), "velvet": (0.12, 4.0)}.get(tex, (0.03, 6.0))
    return _Mat(tuple(rgb), tex, gloss, shine)


def _wood(rgb):
    return _Mat(tuple(rgb), "wood", 0.12, 12.0)


def _metal(rgb):
    return _Mat(tuple(rgb), "metal", 0.8, 30.0)


def _glaze(rgb, finish="gloss", tex="ceramic"):
    gloss, shine = {"gloss": (0.6, 45.0), "matte": (0.06, 8.0)}[finish]
    return _Mat(tuple(rgb), tex, gloss, shine)


def _frame_mat(kind, rgb):
    return {"wood": _wood, "metal": _metal}.get(kind, lambda c: _glaze(c, "gloss", "plain"))(rgb)


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


# --------------------------------------------------------------------------- product renderers


def _upholstered(p, v):
    """Couch or armchair: backrest, arms, seat base and cushions, throw pillows, legs."""
    fab = _fabric(p["fabric"], p["tex"])
    legm = _metal(p["leg_rgb"]) if p["legs"] == "metal" else _wood(p["leg_rgb"])
    n, sw, D, r = p["seats"], p["seat_w"], p["depth"], p["soft"]
    lh, sh, bh, bt, ah = p["leg_h"], p["seat_h"], p["back_h"], p["back_t"], p["arm_h"]
    aw = p["arm_w"] if p["arm"] != "none" else 0.0
    chaise = p["chaise"]
    W = n * sw + aw * (1 if chaise else 2)
    xl, xr = -W / 2, W / 2
    sl, sr = xl + aw, xr - (0 if chaise else aw)  # seat span between the arms
    zf = -p["chaise_len"] if chaise else 0.0
    bc = 0.17 if p["back_cushions"] else 0.0  # depth taken by back cushions
    base_top, inset, lw = sh - p["cushion_t"], 0.07, 0.055
    parts = []
    for x in (xl + inset, xr - inset):  # back legs: only visible through gaps
        parts += _leg(v, x, D - inset, lh, p["legs"], legm, lw)
    parts += _box(v, xl, xr, lh, bh, D - bt, D, fab, r)
    wings = p["wings"] and p["arm"] in ("track", "rolled")
    if wings:
        parts += _box(v, xl, sl + 0.06, ah - 0.02, bh - 0.04, D - bt - 0.3, D - bt, fab, r)
    if aw:
        parts += _arm(v, p, xl, xl + aw, fab, legm)
    parts += _box(v, sl, sr, lh, base_top, 0, D - bt, fab, r / 2)
    if chaise:
        parts += _box(v, sr - sw, sr, lh, base_top, zf, 0.02, fab, r / 2)
    for i in range(n if bc else 0):
        x = sl + i * sw
        parts += _box(v, x + 0.01, x + sw - 0.01, base_top + 0.03, bh - 0.03, D - bt - bc, D - bt, fab, 2 * r)
    for i in range(n):
        x, z0 = sl + i * sw, (zf if chaise and i == n - 1 else 0.0)
        parts += _box(v, x + 0.005, x + sw - 0.005, base_top, sh, z0 - 0.02, D - bt - bc, fab, r)
    spots = [(sl + sr) / 2] if n == 1 else [sl + 0.3, sr - 0.3, sl + 0.66]
    for i, rgb in enumerate(p["pillows"]):  # throw pillows lean on the backrest
        c = v.p(spots[i], sh + 0.21, D - bt - bc - 0.12)
        parts.append(_Part([_pillow(c, 0.44, 0.42, 0.12 * (-1) ** i)], _fabric(rgb), "bulge", _N_FRONT, 0.13))
    if aw and not chaise:
        if wings:
            parts += _box(v, sr - 0.06, xr, ah - 0.02, bh - 0.04, D - bt - 0.3, D - bt, fab, r)
        parts += _arm(v, p, xr - aw, xr, fab, legm)
    for x, z in ((xl + inset, inset), (xr - inset, zf + inset)):
        parts += _leg(v, x, z, lh, p["legs"], legm, lw)
    return parts


def _arm(v, p, x0, x1, fab, legm):
    D, lh, ah, r = p["depth"], p["leg_h"], p["arm_h"], p["soft"]
    if p["arm"] == "open":  # wooden armrest on a front post: background shows underneath
        return (_box(v, x0 + 0.01, x1 - 0.01, 0, ah, 0.04, 0.1, legm)
                + _box(v, x0, x1, ah - 0.05, ah, 0.0, D - p["back_t"], legm))
    rolled = p["arm"] == "rolled"
    parts = _box(v, x0, x1, lh, ah - (0.08 if rolled else 0), 0, D, fab, r)
    if rolled:  # a bolster overhanging the arm's top
        parts += _box(v, x0 - 0.03, x1 + 0.03, ah - 0.16, ah + 0.02, -0.03, D, fab, 0.08)
    return parts


def _dining_chair(p, v):
    """Four legs (the back two rise into the backrest posts), seat, slatted/railed/panel back."""
    frame = _frame_mat(p["frame"], p["frame_rgb"])
    seat = _fabric(p["pad_rgb"]) if p["pad"] else frame
    sw, sd, sh, t, bh, lw = p["seat_w"], p["seat_d"], p["seat_h"], p["seat_t"], p["back_h"], p["leg_w"]
    x0, x1, zb = -sw / 2, sw / 2, sd - lw
    parts = []
    for x in (x0, x1 - lw):
        parts += _box(v, x, x + lw, 0, bh, zb, sd, frame)
    ybot, ytop, zm = sh + 0.06, bh - p["rail_h"], (zb + lw * 0.3, sd - lw * 0.3)
    if p["back"] == "panel":
        parts += _box(v, x0 - 0.005, x1 + 0.005, sh + 0.14, bh, zb - 0.03, sd - 0.01, seat, 0.04 if p["pad"] else 0)
    else:
        parts += _box(v, x0 + lw, x1 - lw, ytop, bh, *zm, frame)
        k = p["n_back"]
        if p["back"] == "rails":
            for y in np.linspace(ybot + 0.08, ytop, k + 1)[:-1]:
                parts += _box(v, x0 + lw, x1 - lw, y - 0.025, y + 0.025, *zm, frame)
        else:
            wd = (sw - 2 * lw) / (2 * k + 1) if p["back"] == "slats" else lw * 0.45
            for x in np.linspace(x0 + lw, x1 - lw, k + 2)[1:-1]:
                parts += _box(v, x - wd / 2, x + wd / 2, ybot, ytop, *zm, frame)
    if p["stretchers"]:
        for x in (x0, x1 - lw):
            parts += _box(v, x + lw * 0.2, x + lw * 0.8, 0.13, 0.16, lw, zb, frame)
    parts += _box(v, x0 - 0.01, x1 + 0.01, sh - t, sh, -0.01, sd + 0.005, frame)
    if p["pad"]:
        parts += _box(v, x0 + 0.01, x1 - 0.01, sh, sh + 0.05, 0.0, zb - 0.005, seat, 0.03)
    for x in (x0, x1 - lw):
        parts += _leg(v, x + lw / 2, lw / 2, sh - t, p["legs"], frame, lw)
    if p["stretchers"]:
        parts += _box(v, x0 + lw, x1 - lw, 0.13, 0.16, lw * 0.3, lw * 0.7, frame)
    return parts


def _stool(p, v):
    """Round seat on splayed legs, often with a footrest ring."""
    frame = _frame_mat(p["frame"], p["frame_rgb"])
    seat = _fabric(p["pad_rgb"], "leather") if p["pad"] else frame
    r, sh, t, lw, splay = p["seat_r"], p["seat_h"], p["seat_t"], p["leg_w"], p["splay"]
    zc, r_top = r, 0.62 * r

    def circle(y, rad):
        th = np.linspace(0, 2 * math.pi, 40, endpoint=False)
        return v.p(rad * np.cos(th), y, zc + rad * np.sin(th))

    legs = []
    for j in range(p["n_legs"]):
        a = p["leg_angle"] + 2 * math.pi * j / p["n_legs"]
        ends = np.array([[r_top * math.cos(a), sh - t, zc + r_top * math.sin(a)],
                         [(r_top + splay) * math.cos(a), 0, zc + (r_top + splay) * math.sin(a)]])
        legs.append((math.sin(a), _Part([v.p(*ends.T)], frame, "cyl", width=lw)))
    legs.sort(key=lambda sl: -sl[0])  # far legs first
    parts = [leg for sn, leg in legs if sn > 0]
    if p["ring"]:
        y = p["ring_h"]
        ring = circle(y, r_top + splay * (1 - y / (sh - t)))
        parts.append(_Part([ring], frame, "bulge", _N_FRONT, lw * 0.35, lw * 0.7, closed=True))
    parts += [leg for sn, leg in legs if sn <= 0]
    rim = np.concatenate([circle(sh, r), circle(sh - t, r)])
    parts.append(_Part([cv2.convexHull(rim.astype(np.float32))[:, 0]], seat, "cyl"))
    parts.append(_Part([circle(sh, r)], seat, "bulge" if p["pad"] else "flat", _N_TOP, 0.05))
    return parts


def _chair(p, v):
    return {"dining": _dining_chair, "armchair": _upholstered, "stool": _stool}[p["kind"]](p, v)


def _bed(p, v):
    """Headboard, frame, mattress, pillows, a duvet with the sheet folded over it, maybe a footboard."""
    frame = _fabric(p["frame_rgb"], "fabric") if p["frame"] == "upholstered" else _frame_mat(p["frame"], p["frame_rgb"])
    sheet, duvet = _fabric(p["sheet_rgb"]), _fabric(p["duvet_rgb"], p["duvet_tex"])
    if p["duvet_stripes"]:
        duvet = replace(duvet, rgb2=tuple(p["sheet_rgb"]))
    W, L, lh, fh, mh, hb = p["width"], p["length"], p["leg_h"], p["frame_h"], p["mattress_h"], p["head_h"]
    top = fh + mh
    parts = []
    hx0, hx1 = -W / 2 - 0.04, W / 2 + 0.04
    if p["head"] == "bars":  # metal bedstead: posts, rails and rods with gaps between them
        for x in (hx0, hx1 - 0.05):
            parts += _box(v, x, x + 0.05, 0, hb, L, L + 0.05, frame)
        parts += _box(v, hx0 + 0.05, hx1 - 0.05, hb - 0.08, hb - 0.03, L, L + 0.04, frame)
        for x in np.linspace(hx0, hx1, p["rods"] + 2)[1:-1]:
            parts.append(_Part([v.p([x, x], [fh, hb - 0.05], [L + 0.02] * 2)], frame, "cyl", width=0.022))
    else:
        soft = p["frame"] == "upholstered"
        face = v.p(*np.array([[hx0, lh, L], [hx1, lh, L], [hx1, hb, L], [hx0, hb, L]]).T)
        face = _rounded(face, 0.25 if p["head"] == "round" else 0.04)
        mat = replace(frame, tex="channel") if p["head"] == "channel" else frame
        parts += _box(v, hx0, hx1, lh, hb - 0.1, L, L + 0.08, frame)
        parts.append(_Part([face], mat, "bulge" if soft else "flat", _N_FRONT, 0.06))
    parts += _box(v, -W / 2, W / 2, lh, fh, 0, L, frame, 0.02 if p["frame"] == "upholstered" else 0)
    parts += _box(v, -W / 2 + 0.02, W / 2 - 0.02, fh, top, 0.02, L - 0.03, sheet, 0.06)
    n = p["pillows"]
    rows = [(L - 0.22, 0.2, n - 2), (L - 0.42, 0.13, 2)] if n > 2 else [(L - 0.35, 0.15, n)]
    pillow = _fabric(p["pillow_rgb"])
    for z, lift, k in rows:
        pw = (W - 0.1) / k
        for j in range(k):
            c = v.p(-W / 2 + 0.05 + pw * (j + 0.5), top + lift, z)
            parts.append(_Part([_pillow(c, pw * 0.95, 0.3, 0.03 * (-1) ** j)], pillow, "bulge", _N_FRONT, 0.1))
    cover = p["cover"] * L
    x0, x1 = -W / 2 - 0.03, W / 2 + 0.03
    parts += _box(v, x0, x1, fh - 0.1, top + 0.04, -0.03, cover, sheet, 0.04)  # sheet folded back over the duvet
    parts += _box(v, x0, x1, fh - 0.12, top + 0.05, -0.03, cover - 0.28, duvet, 0.05)
    if p["throw"]:
        throw = _fabric(p["throw_rgb"], "boucle")
        parts += _box(v, x0 - 0.01, x1 + 0.01, fh - 0.2, top + 0.07, 0.12, 0.55, throw, 0.04)
    if p["footboard"]:
        parts += _box(v, hx0, hx1, 0, fh + 0.18, -0.1, -0.04, frame, 0.02 if p["frame"] == "upholstered" else 0)
    elif lh > 0.03:
        for x in (-W / 2 + 0.05, W / 2 - 0.05):
            parts += _leg(v, x, 0.05, lh, "taper" if p["frame"] == "wood" else "block", frame, 0.06)
    return parts


def _vase(p, v):
    """Lathe body with a glaze dip or stripes and a dark mouth."""
    ys, rs = _profile(p["profile"])
    e = float(np.clip(v.ky, 0.12, 0.42))
    glass = p["finish"] == "glass"
    mat = (_Mat(tuple(p["rgb"]), "plain", 0.9, 60.0, clear=0.6) if glass
           else _glaze(p["rgb"], p["finish"], "speckle" if p["speckle"] else "ceramic"))
    parts = [_Part(_lathe(ys, rs, e), mat, "cyl", union=True)]
    second = replace(mat, rgb=tuple(p["rgb2"]))
    if p["decor"] == "dip":
        parts.append(_Part(_band(ys, rs, 0, p["split"], e), second, "cyl", union=True))
    elif p["decor"] == "stripes":
        for y in np.arange(p["split"], 0.95, 0.12):
            parts.append(_Part(_band(ys, rs, y, y + 0.04, e), second, "cyl", union=True))
    inner = rs[-1] * 0.8
    dark = replace(mat, rgb=tuple(np.asarray(p["rgb"]) * 0.3), gloss=0.05, clear=mat.clear * 0.5)
    parts.append(_Part([_ellipse(0, -ys[-1], inner, inner * e)], dark, "dish"))
    return parts


def _bowl(p, v):
    """Wide lathe body seen from above so the inside shows, with a rim line."""
    ys, rs = _profile(p["profile"])
    e = float(np.clip(v.ky * 1.1 + 0.05, 0.2, 0.45))
    out_mat = _wood(p["rgb"]) if p["finish"] == "wood" else (
        _metal(p["rgb"]) if p["finish"] == "metal" else _glaze(p["rgb"], p["finish"]))
    in_mat = replace(out_mat, rgb=tuple(p["inner_rgb"]))
    r = rs[-1]
    parts = [_Part(_lathe(ys, rs, e), out_mat, "cyl", union=True)]
    if p["band"]:
        band = replace(out_mat, rgb=tuple(p["band_rgb"]))
        parts.append(_Part(_band(ys, rs, ys[-1] * 0.8, ys[-1] * 0.9, e), band, "cyl", union=True))
    parts.append(_Part([_ellipse(0, -ys[-1], r * 0.96, r * 0.96 * e)], in_mat, "dish"))
    rim = replace(in_mat, rgb=tuple(np.minimum(np.asarray(p["inner_rgb"]) * 1.12, 1)))
    parts.append(_Part([_ellipse(0, -ys[-1], r * 0.98, r * 0.98 * e)], rim, "bulge", _N_TOP, 0.01, 0.025, True))
    return parts


def _cup(p, v):
    """Mug with a D handle, or a teacup with a loop handle on its saucer; the handle hole is open."""
    e = float(np.clip(v.ky, 0.15, 0.45))
    mat = _glaze(p["rgb"], p["finish"], "speckle" if p["speckle"] else "ceramic")
    inner = replace(mat, rgb=tuple(p["inner_rgb"]))
    ys, rs = _profile(p["profile"])
    h, rt = ys[-1], rs[-1]
    parts = []
    lift = 0.0
    if p["kind"] == "teacup":
        rsau = rs[0] * p["saucer"]
        saucer = np.concatenate([_ellipse(0, 0, rsau, rsau * e), _ellipse(0, -0.06, rsau, rsau * e)])
        parts.append(_Part([cv2.convexHull(saucer.astype(np.float32))[:, 0]], mat, "cyl"))
        parts.append(_Part([_ellipse(0, -0.06, rsau * 0.9, rsau * 0.9 * e)], inner, "dish"))
        lift = 0.05
        at = float(np.interp(h * 0.62, ys, rs))  # the flared cup's radius where the handle joins it
        ring = _ellipse(at + p["handle"] * 0.4, -lift - h * 0.62, p["handle"] * 0.5, h * 0.22)
        parts.append(_Part([ring], mat, "bulge", _N_FRONT, 0.02, p["handle_w"], True))
    else:
        hw, hh = p["handle"], h * p["handle_h"]
        arc = _ellipse(rs[len(rs) // 2] * 0.92, -h * 0.52, hw + rt * 0.08, hh / 2, 24, -math.pi / 2, math.pi / 2)
        parts.append(_Part([arc], mat, "bulge", _N_FRONT, p["handle_w"] / 2, p["handle_w"]))
    parts.append(_Part(_lathe(ys + lift, rs, e), mat, "cyl", union=True))
    if p["band"]:
        band = replace(mat, rgb=tuple(p["band_rgb"]), gloss=0.9)
        parts.append(_Part(_band(ys + lift, rs, h * 0.88, h * 0.96, e), band, "cyl", union=True))
    parts.append(_Part([_ellipse(0, -h - lift, rt * 0.9, rt * 0.9 * e)], inner, "dish"))
    if p["drink"]:
        drink = _Mat(tuple(p["drink_rgb"]), "plain", 0.5, 40.0)
        parts.append(_Part([_ellipse(0, -h * 0.88 - lift, rt * 0.82, rt * 0.82 * e)], drink, "flat", _N_TOP))
    return parts


def _wine_glass(p, v):
    """Foot, thin stem, lathe bowl; glass is mostly see-through, maybe with wine inside."""
    e = float(np.clip(v.ky, 0.12, 0.4))
    glass = _Mat(tuple(p["tint"]), "plain", 1.0, 80.0, clear=p["clarity"])
    fr, sh, st = p["foot_r"], p["stem_h"], p["stem_r"]
    by, br = _profile(p["profile"])
    by = by + sh
    foot = _ellipse(0, -0.01, fr, fr * e)
    stem = np.array([[-st * 2.5, -0.01], [-st, -0.06], [-st, -sh + 0.03], [-st * 2, -sh - 0.01],
                     [st * 2, -sh - 0.01], [st, -sh + 0.03], [st, -0.06], [st * 2.5, -0.01]])
    parts = [_Part([foot], glass, "flat", _N_TOP),
             _Part([foot], glass, "bulge", _N_FRONT, 0.004, 0.01, True),
             _Part([stem], glass, "cyl"),
             _Part(_lathe(by, br, e), glass, "cyl", union=True)]
    if p["wine"]:
        level = by[0] + (by[-1] - by[0]) * p["fill"]
        wine = _Mat(tuple(p["wine_rgb"]), "plain", 0.6, 50.0, clear=p["wine_clear"])
        keep = by <= level
        yb = np.concatenate([by[keep], [level]])
        rb = np.interp(yb, by, br) * 0.94
        parts.append(_Part(_lathe(yb, rb, e), wine, "cyl", union=True))
        parts.append(_Part([_ellipse(0, -level, rb[-1], rb[-1] * e)], replace(wine, clear=0.3), "flat", _N_TOP))
    rim = replace(glass, rgb=(0.95, 0.95, 0.95), clear=p["clarity"] * 0.5)
    parts.append(_Part([_ellipse(0, -by[-1], br[-1], br[-1] * e)], rim, "bulge", _N_TOP, 0.005, 0.012, True))
    return parts


def _potted_plant(p, v):
    """Pot with soil, then foliage: broad leaves on stems, swords, grass, leafy branches or fronds."""
    e = float(np.clip(v.ky, 0.15, 0.42))
    pot_tex = {"terracotta": "terracotta", "concrete": "speckle", "basket": "weave"}.get(p["pot"], "ceramic")
    pot = _glaze(p["pot_rgb"], "gloss" if p["pot"] == "ceramic" else "matte", pot_tex)
    ys, rs = _profile(p["pot_profile"])
    rt = rs[-1]
    parts = [_Part(_lathe(ys, rs, e), pot, "cyl", union=True)]
    if p["rim"]:
        top = ys >= 0.82
        parts.append(_Part(_lathe(ys[top], rs[top] + 0.035, e), pot, "cyl", union=True))
    parts.append(_Part([_ellipse(0, -1.0, rt * 0.9, rt * 0.9 * e)], _Mat(tuple(p["soil_rgb"]), "soil", 0.0), "dish"))
    green = np.asarray(p["leaf_rgb"])
    grow = {"broad": _broad_leaf, "sword": _sword_leaf, "grass": _grass_leaf}.get(p["kind"], _leafy_stem)
    for j, leaf in enumerate(p["leaves"]):
        tone = green * (0.78 + 0.22 * ((j * 0.618) % 1))  # leaves differ a little in tone
        mat = _Mat(tuple(tone), "banded" if p["kind"] == "sword" else "leaf", 0.2, 18.0)
        parts += grow(p, leaf, mat, rt, soil_y=-1.0)
    return parts


def _broad_leaf(p, leaf, mat, rt, soil_y):
    """A stem from the soil carrying one broad, drooping leaf with a paler midrib."""
    a, stem_len, length, width, droop = leaf
    a = math.radians(a)
    base = (rt * 0.3 * math.sin(a), soil_y)
    tip = (base[0] + stem_len * math.sin(a), soil_y - stem_len * math.cos(a))
    blade, mid = _leaf(tip, a + droop * np.sign(a), length, width, 0.25 * np.sign(a), 0.6)
    vein = replace(mat, rgb=tuple(np.minimum(np.asarray(mat.rgb) * 1.35, 1)), gloss=0.1)
    stem_mat = replace(mat, rgb=tuple(np.asarray(p["leaf_rgb"]) * 0.8), gloss=0.05)
    return [_Part([np.array([base, tip])], stem_mat, "cyl", width=0.035),
            _Part([blade], mat, "bulge", _N_FRONT, width * 0.3),
            _Part([mid[:-2]], vein, "flat", width=0.018)]


def _sword_leaf(p, leaf, mat, rt, soil_y):
    """An upright sword-shaped leaf (snake plant), maybe with yellow margins."""
    x, a, length, width = leaf
    base, a = (x * rt, soil_y + 0.02), math.radians(a)
    parts = []
    if p["variegated"]:
        margin = _Mat((0.8, 0.78, 0.35), "leaf", 0.2, 18.0)
        parts.append(_Part([_leaf(base, a, length, width, 0.04, 0.35)[0]], margin, "bulge", _N_FRONT, width * 0.2))
        length, width = length * 0.97, width * 0.72
    parts.append(_Part([_leaf(base, a, length, width, 0.04, 0.35)[0]], mat, "bulge", _N_FRONT, width * 0.25))
    return parts


def _grass_leaf(p, leaf, mat, rt, soil_y):
    """A long narrow arching blade (spider plant), maybe with a pale middle stripe."""
    a, length, width, droop = leaf
    base, a = (0.3 * rt * math.sin(math.radians(a)), soil_y), math.radians(a)
    parts = [_Part([_leaf(base, a, length, width, droop * np.sign(a), 0.3)[0]], mat, "bulge", _N_FRONT, width * 0.3)]
    if p["variegated"]:  # tapering with the blade
        stripe, _ = _leaf(base, a, length, width * 0.3, droop * np.sign(a), 0.3)
        parts.append(_Part([stripe], _Mat((0.9, 0.92, 0.8), "leaf", 0.1), "flat"))
    return parts


def _leafy_stem(p, leaf, mat, rt, soil_y):
    """A curved stem with leaves along it: alternate broad ones (ficus) or narrow pairs (palm frond)."""
    a, length, bend, count = leaf
    a, palm = math.radians(a), p["kind"] == "palm"
    _, stem = _leaf((rt * 0.2 * math.sin(a), soil_y), a, length, 0.0, bend * np.sign(a), n=24)
    blades = []
    for q in range(int(count)):
        t = 0.3 + 0.7 * (q + 0.5) / count
        at = stem[min(int(t * 23), 22)]
        d = stem[min(int(t * 23) + 1, 23)] - at
        heading = math.atan2(d[0], -d[1])
        if palm:  # leaflets shorten towards the tip
            ll, wl, ang, fat = p["leaf_len"] * (1.15 - 0.6 * t), 0.05, 1.0, 0.5
        else:
            ll, wl, ang, fat = p["leaf_len"], p["leaf_len"] * 0.5, 0.8, 0.65
        for side in (1, -1) if palm else ((-1) ** q,):
            blades.append(_leaf(at, heading + side * ang, ll, wl, 0.15 * side, fat, n=10)[0])
    stem_mat = replace(mat, rgb=tuple(np.asarray(p["leaf_rgb"]) * 0.8), gloss=0.05)
    # all leaves of a stem are one part: many small parts would cost more than they show
    return [_Part([stem], stem_mat, "cyl", width=0.022 if palm else 0.03),
            _Part(blades, mat, "bulge", _N_FRONT, wl * 0.3, union=True)]


_RENDERERS = {"couch": _upholstered, "chair": _chair, "bed": _bed, "vase": _vase, "bowl": _bowl,
              "cup": _cup, "wine-glass": _wine_glass, "potted-plant": _potted_plant}


# --------------------------------------------------------------------------- looks

_FABRICS = [(150, 150, 146), (78, 80, 84), (196, 180, 152), (226, 216, 196), (48, 60, 96), (40, 108, 112),
            (196, 148, 56), (112, 114, 66), (172, 96, 66), (214, 168, 160), (52, 88, 66), (148, 72, 48),
            (140, 168, 192), (104, 84, 120), (236, 232, 224)]
_LEATHERS = [(140, 80, 44), (96, 58, 36), (40, 36, 34), (178, 130, 90)]
_WOODS = [(196, 156, 110), (116, 78, 50), (160, 108, 68), (46, 38, 32), (226, 220, 208), (178, 128, 84)]
_METALS = [(36, 36, 38), (186, 148, 82), (196, 198, 204)]
_PLASTICS = [(240, 240, 236), (30, 30, 32), (170, 205, 190), (220, 90, 60), (230, 200, 80)]
_GLAZES = [(240, 238, 232), (230, 220, 198), (168, 198, 178), (44, 72, 150), (36, 36, 40), (150, 170, 140),
           (228, 180, 172), (214, 168, 70), (188, 100, 70), (160, 160, 158), (214, 204, 184), (40, 118, 124),
           (120, 60, 80), (90, 130, 180)]
_SHEETS = [(242, 240, 236), (232, 226, 214), (200, 204, 208), (222, 214, 200)]
_GREENS = [(44, 92, 48), (70, 128, 58), (104, 146, 56), (58, 106, 86), (36, 70, 44)]
_VASES = {  # (height, radius) control points of the profile, height 0..1
    "amphora": [(0, .16), (.08, .2), (.4, .3), (.72, .2), (.86, .08), (.95, .08), (1, .11)],
    "bottle": [(0, .2), (.05, .22), (.45, .23), (.6, .16), (.7, .06), (.95, .05), (1, .065)],
    "cylinder": [(0, .17), (.5, .18), (.95, .19), (1, .2)],
    "bulb": [(0, .12), (.1, .25), (.35, .33), (.6, .24), (.78, .08), (.92, .07), (1, .1)],
    "trumpet": [(0, .15), (.08, .1), (.35, .08), (.7, .16), (1, .3)],
    "gourd": [(0, .15), (.15, .26), (.35, .24), (.5, .12), (.65, .17), (.8, .12), (.92, .06), (1, .07)],
    "egg": [(0, .12), (.25, .3), (.55, .32), (.85, .2), (1, .14)],
}
_BOWLS = {
    "round": [(0, .45), (.05, .5), (.3, 1.1), (.7, 1.5), (1, 1.65)],
    "conical": [(0, .35), (.04, .38), (.5, 1.05), (1, 1.75)],
    "straight": [(0, .6), (.08, .9), (.5, 1.3), (1, 1.5)],
    "footed": [(0, .5), (.1, .5), (.13, .36), (.22, .62), (.6, 1.35), (1, 1.65)],
    "shallow": [(0, .8), (.12, 1.1), (.5, 1.9), (1, 2.3)],
}
_GLASSES = {  # bowl profiles, height 0..1 of the bowl
    "tulip": [(0, .02), (.1, .25), (.4, .42), (.75, .4), (1, .33)],
    "round": [(0, .02), (.1, .3), (.45, .52), (.8, .48), (1, .42)],
    "flute": [(0, .02), (.1, .14), (.5, .2), (1, .2)],
    "coupe": [(0, .02), (.3, .45), (.8, .75), (1, .8)],
}
_POTS = {
    "taper": [(0, .38), (1, .5)],
    "cylinder": [(0, .45), (1, .46)],
    "bowl": [(0, .3), (.3, .52), (.8, .58), (1, .56)],
    "urn": [(0, .32), (.1, .28), (.3, .36), (.8, .5), (1, .56)],
}


def _pick(rng, palette, jitter=0.06):
    """A palette colour (0..1), varied a little in brightness and hue."""
    c = np.asarray(palette[int(rng.integers(len(palette)))], float) / 255
    return np.clip(c * (1 + rng.uniform(-jitter, jitter)) + rng.uniform(-jitter, jitter, 3) * 0.3, 0, 1)


def _one(rng, *options):
    return options[int(rng.integers(len(options)))]


def _coin(rng, p):
    return bool(rng.random() < p)


def _many(rng, lo, hi, make):
    """lo..hi-1 items from make()."""
    return [make() for _ in range(int(rng.integers(lo, hi)))]


def _jitter_profile(rng, ctrl, r_scale):
    """Control points moved a little: inner heights +-0.03, every radius +-12%, all radii scaled."""
    ys = [y + (rng.uniform(-0.03, 0.03) if 0 < y < 1 else 0.0) for y, _ in ctrl]
    return ys, [r * r_scale * rng.uniform(0.88, 1.12) for _, r in ctrl]


def _profile_look(rng, table, r_scale=1.0):
    ys, rs = _jitter_profile(rng, table[_one(rng, *table)], r_scale)
    return [[y, r] for y, r in zip(ys, rs)]


def _look_upholstered(rng, armchair=False):
    u = rng.uniform
    leather = _coin(rng, 0.2)
    legs = _one(rng, "taper", "taper", "metal") if armchair else _one(rng, "taper", "block", "metal", "hidden")
    arm = _one(rng, "track", "track", "rolled", *(("open", "none") if armchair else ("none",)))
    seats = 1 if armchair else _one(rng, 2, 3, 3, 4)
    return dict(
        kind="armchair" if armchair else "sofa", seats=seats, seat_w=u(0.5, 0.62) if armchair else u(0.55, 0.7),
        depth=u(0.82, 1.0), seat_h=u(0.4, 0.48), cushion_t=u(0.1, 0.18),
        back_h=u(0.85, 1.1) if armchair else u(0.7, 0.92), back_t=u(0.14, 0.24),
        arm=arm, arm_w=u(0.06, 0.09) if arm == "open" else u(0.1, 0.24), arm_h=u(0.55, 0.68),
        legs=legs, leg_h=0.02 if legs == "hidden" else (u(0.14, 0.26) if armchair else u(0.06, 0.2)),
        back_cushions=_coin(rng, 0.55), chaise=seats > 1 and _coin(rng, 0.25), chaise_len=u(0.5, 0.8),
        soft=u(0.03, 0.07), wings=armchair and _coin(rng, 0.3),
        fabric=_pick(rng, _LEATHERS if leather else _FABRICS),
        tex="leather" if leather else _one(rng, "fabric", "fabric", "velvet", "boucle"),
        leg_rgb=_pick(rng, _METALS if legs == "metal" else _WOODS),
        pillows=_many(rng, 0, 2 if armchair else 4, lambda: _pick(rng, _FABRICS)))


def _look_chair(rng):
    kind = _one(rng, "dining", "dining", "armchair", "stool")
    if kind == "armchair":
        return _look_upholstered(rng, armchair=True)
    u = rng.uniform
    frame = _one(rng, "wood", "wood", "metal", "plastic")
    frame_rgb = _pick(rng, {"wood": _WOODS, "metal": _METALS}.get(frame, _PLASTICS))
    common = dict(kind=kind, frame=frame, frame_rgb=frame_rgb, pad=_coin(rng, 0.45),
                  pad_rgb=_pick(rng, _FABRICS + _LEATHERS))
    if kind == "stool":
        return dict(common, seat_r=u(0.16, 0.22), seat_h=u(0.45, 0.78), seat_t=u(0.03, 0.07), leg_w=u(0.025, 0.04),
                    splay=u(0.02, 0.09), n_legs=_one(rng, 3, 4), leg_angle=u(0, math.pi),
                    ring=_coin(rng, 0.7), ring_h=u(0.15, 0.3))
    return dict(common, seat_w=u(0.42, 0.5), seat_d=u(0.4, 0.5), seat_h=u(0.44, 0.48), seat_t=u(0.025, 0.05),
                back_h=u(0.8, 1.0), leg_w=u(0.03, 0.05), legs=_one(rng, "straight", "taper"),
                back=_one(rng, "slats", "rails", "panel", "spindles"), n_back=int(rng.integers(2, 6)),
                rail_h=u(0.05, 0.1), stretchers=_coin(rng, 0.5))


def _look_bed(rng):
    u = rng.uniform
    frame = _one(rng, "upholstered", "upholstered", "wood", "metal")
    head = {"metal": "bars", "wood": "rect"}.get(frame) or _one(rng, "rect", "round", "channel")
    return dict(
        frame=frame, frame_rgb=_pick(rng, {"wood": _WOODS, "metal": _METALS}.get(frame, _FABRICS)), head=head,
        rods=int(rng.integers(4, 10)), width=u(1.4, 1.9), length=u(1.9, 2.1), leg_h=u(0.02, 0.15),
        frame_h=u(0.25, 0.4), mattress_h=u(0.18, 0.28), head_h=u(0.95, 1.4), pillows=int(rng.integers(2, 5)),
        pillow_rgb=_pick(rng, _SHEETS + _FABRICS[:4]), sheet_rgb=_pick(rng, _SHEETS, 0.03),
        duvet_rgb=_pick(rng, _FABRICS + _SHEETS), duvet_tex=_one(rng, "fabric", "fabric", "boucle"),
        duvet_stripes=_coin(rng, 0.2), cover=u(0.55, 0.75), throw=_coin(rng, 0.4), throw_rgb=_pick(rng, _FABRICS),
        footboard=frame != "metal" and _coin(rng, 0.3))


def _look_vase(rng):
    return dict(profile=_profile_look(rng, _VASES, rng.uniform(0.8, 1.3)),
                finish=_one(rng, "gloss", "gloss", "matte", "glass"), rgb=_pick(rng, _GLAZES),
                rgb2=_pick(rng, _GLAZES), decor=_one(rng, "none", "none", "dip", "stripes"),
                split=rng.uniform(0.25, 0.55), speckle=_coin(rng, 0.3))


def _look_bowl(rng):
    finish = _one(rng, "gloss", "gloss", "matte", "wood", "metal")
    rgb = _pick(rng, {"wood": _WOODS[:3], "metal": _METALS[1:]}.get(finish, _GLAZES))
    return dict(profile=_profile_look(rng, _BOWLS, rng.uniform(0.8, 1.2)), finish=finish, rgb=rgb,
                inner_rgb=rgb if finish in ("wood", "metal") or _coin(rng, 0.5) else _pick(rng, _GLAZES),
                band=finish in ("gloss", "matte") and _coin(rng, 0.3), band_rgb=_pick(rng, _GLAZES))


def _look_cup(rng):
    u = rng.uniform
    kind = _one(rng, "mug", "mug", "teacup")
    if kind == "mug":
        r, taper = u(0.38, 0.52), u(-0.06, 0.06)
        profile = [[0, r - 0.04], [0.03, r], [0.5, r + taper / 2], [1, r + taper]]
        handle, handle_w = u(0.22, 0.34), u(0.06, 0.1)
    else:
        h = u(0.45, 0.6)
        profile = [[0, .2], [.03 * h, .24], [.4 * h, .4], [h, u(.5, .58)]]
        handle, handle_w = u(0.16, 0.22), u(0.035, 0.05)
    rgb = _pick(rng, _GLAZES)
    return dict(kind=kind, profile=profile, rgb=rgb, finish=_one(rng, "gloss", "gloss", "matte"),
                inner_rgb=rgb if _coin(rng, 0.6) else _pick(rng, _GLAZES[:2]), speckle=_coin(rng, 0.25),
                handle=handle, handle_w=handle_w, handle_h=u(0.5, 0.7), saucer=u(2.6, 3.2),
                band=_coin(rng, 0.25), band_rgb=_pick(rng, [(200, 160, 70), (40, 40, 44), (44, 72, 150)]),
                drink=_coin(rng, 0.3), drink_rgb=_pick(rng, [(56, 34, 20), (110, 62, 30), (186, 146, 108)]))


def _look_glass(rng):
    u = rng.uniform
    kind = _one(rng, *_GLASSES)
    bowl_h = {"flute": 1.0, "coupe": 0.35}.get(kind, 0.6) * u(0.85, 1.15)
    ys, rs = _jitter_profile(rng, _GLASSES[kind], 0.8 if kind == "coupe" else 1.0)
    red = _coin(rng, 0.5)  # red wine is nearly opaque in a glass; white and rose let the background through
    return dict(profile=[[y * bowl_h, r * bowl_h] for y, r in zip(ys, rs)],
                stem_h=u(0.35, 0.7), stem_r=u(0.012, 0.02), foot_r=u(0.17, 0.26),
                tint=_pick(rng, [(236, 242, 240), (226, 236, 230), (230, 230, 232), (240, 232, 214)], 0.02),
                clarity=u(0.82, 0.95), wine=_coin(rng, 0.4), fill=u(0.3, 0.6),
                wine_rgb=_pick(rng, [(110, 16, 30)] if red else [(238, 214, 130), (240, 150, 150)], 0.04),
                wine_clear=u(0.1, 0.3) if red else u(0.55, 0.75))


def _look_plant(rng):
    u = rng.uniform
    kind = _one(rng, "broad", "sword", "grass", "ficus", "palm")
    leaves = {  # one list per leaf or stem; the fields are read by _potted_plant
        "broad": lambda: _many(rng, 5, 11, lambda: [u(-70, 70), u(0.3, 1.2), u(0.5, 0.9), u(0.3, 0.5), u(0.1, 0.6)]),
        "sword": lambda: _many(rng, 4, 9, lambda: [u(-0.5, 0.5), rng.normal(0, 10), u(1.2, 2.4), u(0.12, 0.2)]),
        "grass": lambda: _many(rng, 14, 26, lambda: [u(-80, 80), u(0.8, 1.5), u(0.05, 0.09), u(0.2, 0.6)]),
        "ficus": lambda: _many(rng, 3, 7, lambda: [u(-40, 40), u(0.9, 2.0), u(0.05, 0.25), int(rng.integers(5, 10))]),
        "palm": lambda: _many(rng, 4, 8, lambda: [u(-70, 70), u(1.0, 1.9), u(0.2, 0.5), int(rng.integers(9, 15))]),
    }[kind]()
    pot = _one(rng, "terracotta", "ceramic", "ceramic", "concrete", "basket")
    pot_rgb = {"terracotta": [(186, 100, 66)], "concrete": [(160, 160, 156), (110, 110, 108)],
               "basket": [(190, 150, 100), (150, 110, 70)]}.get(pot, _GLAZES)
    return dict(kind=kind, leaves=leaves, leaf_rgb=_pick(rng, _GREENS), leaf_len=u(0.22, 0.36),
                variegated=_coin(rng, 0.4), pot=pot, pot_rgb=_pick(rng, pot_rgb), pot_profile=_profile_look(rng, _POTS),
                rim=pot == "terracotta" or _coin(rng, 0.3), soil_rgb=_pick(rng, [(70, 50, 36), (90, 66, 46)]))


_LOOKS = {"couch": _look_upholstered, "chair": _look_chair, "bed": _look_bed, "vase": _look_vase,
          "bowl": _look_bowl, "cup": _look_cup, "wine-glass": _look_glass, "potted-plant": _look_plant}


def _json(x):
    """numpy scalars/arrays -> plain JSON types; floats rounded to keep params readable."""
    if isinstance(x, dict):
        return {k: _json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_json(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return round(float(x), 4)
    return str(x)


def random_look(class_name: str, rng: np.random.Generator) -> ProductLook:
    """Draw one product's look (proportions, colours, materials) for a class."""
    if class_name not in _LOOKS:
        raise ValueError(f"unknown class {class_name!r}; expected one of {', '.join(PRODUCT_CLASSES)}")
    return ProductLook(class_name, _json(_LOOKS[class_name](rng)))


# --------------------------------------------------------------------------- backgrounds

_WALLS = [(236, 232, 222), (210, 202, 188), (168, 184, 158), (152, 172, 192), (198, 140, 115), (52, 64, 92),
          (78, 78, 82), (224, 194, 188), (128, 132, 98), (216, 184, 114), (52, 84, 70), (244, 242, 238)]
_FLOORS = [(176, 132, 92), (128, 90, 60), (206, 176, 136), (96, 66, 46), (190, 170, 150)]
_ACCENTS = [(200, 80, 60), (40, 70, 120), (220, 180, 60), (60, 120, 100), (30, 30, 34), (230, 150, 130),
            (120, 150, 190), (240, 236, 226), (140, 100, 160)]


def _studio_background(rng, S):
    """White or light grey paper sweep: a soft floor/wall transition and a gentle vignette."""
    y = np.linspace(0, 1, S, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, S, dtype=np.float32)[None, :]
    sweep = rng.uniform(-0.03, 0.03) / (1 + np.exp((rng.uniform(0.45, 0.8) - y) / 0.07))
    lum = rng.uniform(0.9, 0.99) + sweep - rng.uniform(0, 0.05) * ((x - 0.5) ** 2 + (y - 0.45) ** 2) * 2
    return lum[..., None] * (1 + rng.uniform(-0.015, 0.015, 3)).astype(np.float32)


def _rect(img, x0, y0, x1, y1, rgb):
    h, w = img.shape[:2]
    x0, y0, x1, y1 = (int(round(c)) for c in (max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)))
    if x1 > x0 and y1 > y0:
        img[y0:y1, x0:x1] = rgb


def _wall(rng, S, h, u):
    """Painted wall, plain or with stripes, dots, bricks or panelling. u is the room's scale: the
    image size when the whole room is in view, more when the camera is closer."""
    col = _pick(rng, _WALLS, 0.04).astype(np.float32)
    y, x = np.arange(h, dtype=np.float32)[:, None], np.arange(S, dtype=np.float32)[None, :]
    wall = np.broadcast_to(col, (h, S, 3)) * (1 + 0.015 * _noise(rng, h, S, 0.08 * u))[..., None]
    kind = _one(rng, "plain", "plain", "stripes", "dots", "brick", "wainscot")
    other = (col * rng.uniform(0.8, 0.92) if rng.random() < 0.6 else _pick(rng, _WALLS)).astype(np.float32)
    if kind == "stripes":
        sel = (x // (rng.uniform(0.025, 0.07) * u)) % 2 == 1
    elif kind == "dots":
        pitch = rng.uniform(0.04, 0.07) * u
        shift = (y // pitch % 2) * pitch / 2
        sel = ((x + shift) % pitch - pitch / 2) ** 2 + (y % pitch - pitch / 2) ** 2 < (pitch * 0.13) ** 2
    elif kind == "brick":
        bh = rng.uniform(0.03, 0.045) * u
        row = y // bh
        bx = x + (row % 2) * bh * 1.5
        tones = rng.uniform(0.85, 1.12, 64).astype(np.float32)
        wall = wall * tones[((row * 7 + bx // (bh * 3)) % 64).astype(int)][..., None]
        sel = (y % bh < 1.5) | (bx % (bh * 3) < 1.5)
        other = np.float32([0.85, 0.84, 0.8])
    elif kind == "wainscot":  # lighter panelling on the lower part with a rail and grooves
        top, g = h - rng.uniform(0.3, 0.45) * h, u / 128
        sel = (y > top) & ~((y > top + g) & (x % (0.12 * u) > g))
        wall = np.where((y > top + g)[..., None], np.float32([0.9, 0.89, 0.86]), wall)
        other = np.float32([0.8, 0.79, 0.76])
    else:
        sel = np.zeros((1, 1), bool)
    return np.where(sel[..., None], other * (wall / col), wall)


def _surface(rng, S, h, u, tabletop):
    """Floor or table top in perspective (lines converge towards a vanishing point on the horizon)."""
    rows = S - h
    dv = (np.arange(rows, dtype=np.float32)[:, None] + 1.5) / S  # distance below the horizon
    du = (np.arange(S, dtype=np.float32)[None, :] - S * rng.uniform(0.3, 0.7)) / S
    wx, z = du / dv * 0.3 * S / u, 0.3 / dv * S / u  # floor coordinates, in camera heights
    far = np.clip(dv * 12 - 0.1, 0, 1)[..., None]  # detail fades towards the horizon instead of aliasing
    kinds = ("boards", "marble", "linen") if tabletop else ("planks", "planks", "tiles", "carpet", "concrete")
    kind = _one(rng, *kinds)
    if kind in ("planks", "boards"):
        col = _pick(rng, _FLOORS)
        u = wx / rng.uniform(0.12, 0.2) if kind == "planks" else z / rng.uniform(0.15, 0.3)
        idx = np.floor(u)
        along = (z if kind == "planks" else wx) / rng.uniform(1.0, 2.0) + (idx * 0.37) % 1
        tones = rng.uniform(0.88, 1.08, 97).astype(np.float32)
        tone = tones[((idx * 31 + np.floor(along) * 17) % 97).astype(int)]
        grain = 0.05 * np.sin(u * 40 + 3 * np.sin(along * 9))
        gap = ((u % 1) < 0.04) | ((along % 1) < 0.01)
        detail = tone * (1 + grain) * np.where(gap, 0.7, 1.0)
    elif kind == "tiles":
        col = _pick(rng, [(220, 216, 208), (160, 158, 152), (200, 180, 160), (90, 92, 96)])
        ts = rng.uniform(0.3, 0.6)
        checker = (np.floor(wx / ts) + np.floor(z / ts)) % 2 if rng.random() < 0.3 else 0
        gu, gz = (wx / ts) % 1, (z / ts) % 1
        grout = (np.minimum(gu, 1 - gu) < 0.03) | (np.minimum(gz, 1 - gz) < 0.03 * ts / 0.3)
        detail = np.where(grout, 0.8, 1.0) * (1 - 0.35 * checker)
    elif kind == "marble":
        col = _pick(rng, [(236, 234, 230), (60, 60, 62), (220, 214, 204)], 0.02)
        # veins: wavy, mostly parallel streaks
        vein = np.abs(np.sin((wx + 0.5 * z) * 4 + 1.5 * _noise(rng, rows, S, 60, 150)))
        detail = 1 - 0.2 * np.exp(-vein * 25) - 0.03 * _noise(rng, rows, S, 20)
    else:  # carpet, concrete, linen: fine noise of different grain
        col = _pick(rng, _WALLS + _FABRICS[:6] if kind != "concrete" else [(170, 168, 162), (130, 128, 124)])
        detail = 1 + 0.06 * _noise(rng, rows, S, 1.2) + 0.04 * _noise(rng, rows, S, 50)
    detail = 1 + (detail[..., None] - 1) * far
    ao = 1 - 0.2 * np.exp(-dv * 40)[..., None]  # the floor darkens where it meets the wall
    return (np.broadcast_to(col.astype(np.float32), (rows, S, 3)) * detail * ao).astype(np.float32)


def _window(rng, img, x0, y0, x1, y1):
    frame = _pick(rng, [(245, 245, 242), (40, 40, 42), (150, 110, 75)], 0.03)
    _rect(img, x0, y0, x1, y1, frame)
    t = max(3, int(0.05 * (x1 - x0)))
    blue, haze = np.float32([0.62, 0.76, 0.92]), np.float32([0.93, 0.95, 0.97])
    for i in range(10):  # sky: blue at the top fading to haze at the bottom
        yb = y0 + t + (y1 - y0 - 2 * t) * np.array([i, i + 1]) / 10
        _rect(img, x0 + t, yb[0], x1 - t, yb[1], blue + (haze - blue) * i / 9)
    _rect(img, (x0 + x1) / 2 - t / 3, y0, (x0 + x1) / 2 + t / 3, y1, frame)  # mullions
    _rect(img, x0, (y0 + y1) / 2 - t / 3, x1, (y0 + y1) / 2 + t / 3, frame)
    if rng.random() < 0.6:  # curtains with folds
        cw, cc = rng.uniform(0.2, 0.35) * (x1 - x0), _pick(rng, _FABRICS + _SHEETS)
        for cx in (x0 - cw * 0.6, x1 - cw * 0.4):
            a, b = int(max(cx, 0)), int(min(cx + cw, img.shape[1]))
            if b > a:
                folds = 0.85 + 0.15 * np.sin(np.arange(a, b, dtype=np.float32) * 0.5)
                img[max(int(y0) - 8, 0):int(y1) + 20, a:b] = cc * folds[:, None]


def _picture(rng, img, x0, y0, x1, y1):
    _rect(img, x0, y0, x1, y1, _pick(rng, [(30, 30, 30), (180, 140, 90), (240, 240, 236), (190, 160, 90)]))
    m = 0.07 * (x1 - x0)
    _rect(img, x0 + m, y0 + m, x1 - m, y1 - m, (0.95, 0.94, 0.92))
    a = 0.2 * (x1 - x0)
    ax0, ay0, ax1, ay1 = (int(c) for c in (x0 + a, y0 + a, x1 - a, y1 - a))
    if ax1 <= ax0 or ay1 <= ay0 or ax0 < 0 or ay0 < 0 or ax1 > img.shape[1] or ay1 > img.shape[0]:
        return
    art = img[ay0:ay1, ax0:ax1]
    art[:] = _pick(rng, _WALLS)
    hh, ww = art.shape[:2]
    if rng.random() < 0.5:  # landscape: sky and hills
        art[: hh // 2] = _pick(rng, [(170, 200, 230), (240, 200, 160), (220, 220, 230)])
        for k in range(2):
            xs = np.linspace(0, ww, 6)
            ys = hh * (0.45 + 0.12 * k + 0.1 * rng.random(6))
            hill = np.concatenate([np.stack([xs, ys], 1), [[ww, hh], [0, hh]]]).astype(np.int32)
            cv2.fillPoly(art, [hill], _pick(rng, _GREENS + [(120, 110, 100)]).tolist())
    else:  # abstract shapes
        for _ in range(int(rng.integers(2, 5))):
            c = _pick(rng, _ACCENTS).tolist()
            cx, cy, rad = rng.random() * ww, rng.random() * hh, rng.uniform(0.1, 0.35) * min(hh, ww)
            if rng.random() < 0.5:
                cv2.circle(art, (int(cx), int(cy)), int(rad), c, -1)
            else:
                cv2.rectangle(art, (int(cx - rad), int(cy - rad)), (int(cx + rad), int(cy)), c, -1)


def _books(rng, img, x0, x1, y, u, stacked):
    """Book spines standing on a shelf or lying in a stack, their bottom at y."""
    if stacked:
        cx = (x0 + x1) / 2
        for _ in range(int(rng.integers(2, 6))):
            bh, half = rng.uniform(0.012, 0.02) * u, rng.uniform(0.35, 0.5) * (x1 - x0)
            _rect(img, cx - half, y - bh, cx + half, y, _pick(rng, _ACCENTS))
            y -= bh
        return
    x = x0
    while x < x1:
        bw = rng.uniform(0.012, 0.025) * u
        _rect(img, x, y - rng.uniform(0.06, 0.1) * u, x + bw - 1, y, _pick(rng, _ACCENTS))
        x += bw


def _lamp(rng, img, x, y, height, u):
    """Floor or table lamp: base, pole and a shade."""
    metal = _pick(rng, _METALS)
    _rect(img, x - 0.03 * u, y - 0.008 * u, x + 0.03 * u, y, metal)
    _rect(img, x - 0.004 * u, y - height, x + 0.004 * u, y, metal)
    top, w = y - height - 0.09 * u, rng.uniform(0.05, 0.08) * u
    shade = np.array([[x - w * 0.6, top], [x + w * 0.6, top], [x + w, top + 0.09 * u], [x - w, top + 0.09 * u]])
    colour = _pick(rng, [(240, 232, 210), (30, 30, 30), (200, 190, 170)]).tolist()
    cv2.fillPoly(img, [np.round(shade).astype(np.int32)], colour)


def _side_table(rng, img, x, y, w, height, S):
    """Side table with a stack of books on it."""
    wood = _pick(rng, _WOODS)
    lw = 0.012 * S
    for lx in (x - w / 2 + lw, x + w / 2 - 2 * lw):
        _rect(img, lx, y - height, lx + lw, y, wood * 0.8)
    _rect(img, x - w / 2, y - height - 0.02 * S, x + w / 2, y - height, wood)
    _books(rng, img, x - w / 3, x + w / 3, y - height - 0.02 * S, S, stacked=True)


def _rug(rng, img, box, y0, S):
    """A rug (or table runner) in perspective under the product."""
    px0, _, px1, base = box
    cx, w = (px0 + px1) / 2, (px1 - px0) * rng.uniform(1.1, 1.6)
    y1 = min(base + rng.uniform(0.04, 0.12) * S, S + 10)
    far = max(base - rng.uniform(0.1, 0.25) * S, y0 + 2)
    quad = np.array([[cx - w * 0.42, far], [cx + w * 0.42, far], [cx + w / 2, y1], [cx - w / 2, y1]])
    c1, c2 = _pick(rng, _ACCENTS + _FABRICS), _pick(rng, _ACCENTS + _FABRICS)
    cv2.fillPoly(img, [np.round(quad).astype(np.int32)], c1.tolist())
    inner = quad + np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * 0.04 * S
    cv2.polylines(img, [np.round(inner).astype(np.int32)], True, c2.tolist(), max(1, int(0.008 * S)))


def _room_background(rng, S, horizon, box, tabletop):
    """Wall over floor (or table top), with clutter that is none of the product classes, placed on the
    wall or beside/behind the product. It is drawn before the product, so it never covers it."""
    h = int(horizon)
    u = S * rng.uniform(1.5, 2.2) if tabletop else S  # a table top is seen closer up than a room
    img = np.empty((S, S, 3), np.float32)
    img[:h] = _wall(rng, S, h, u)
    img[h:] = _surface(rng, S, h, u, tabletop)
    if not tabletop:  # skirting board
        _rect(img, 0, h - rng.uniform(0.015, 0.03) * S, S, h, _pick(rng, [(240, 238, 232), (120, 90, 60)], 0.02))
    px0, _, px1, base = box
    behind = h + (base - h) * rng.uniform(0.2, 0.6)  # floor line of things standing behind the product
    sides = [px0 - 0.09 * S, px1 + 0.09 * S]  # beside the product, the roomier side first
    if px0 < S - px1:
        sides.reverse()
    taken = []  # wall items must not overlap each other

    def wall_spot(w, hh):
        for _ in range(8):
            x0, y0 = rng.uniform(-0.05 * S, S - 0.95 * w), rng.uniform(0.03 * S, max(h - 0.05 * S - hh, 0.03 * S + 1))
            r = (x0, y0, x0 + w, y0 + hh)
            if all(r[2] + 6 < t[0] or t[2] + 6 < r[0] or r[3] + 6 < t[1] or t[3] + 6 < r[1] for t in taken):
                taken.append(r)
                return r
        return None

    items = rng.permutation(["window", "picture", "picture", "shelf", "lamp", "table", "rug"])
    for item in items[: int(rng.integers(2, 6))]:
        if item == "window":
            spot = wall_spot(min(rng.uniform(0.2, 0.4) * u, 0.8 * S), rng.uniform(0.5, 0.85) * (h - 0.08 * S))
            if spot:
                _window(rng, img, *spot)
        elif item == "picture":
            w = rng.uniform(0.08, 0.2) * u
            spot = wall_spot(w, min(w * rng.uniform(0.7, 1.4), 0.6 * h))
            if spot:
                _picture(rng, img, *spot)
        elif item == "shelf":
            spot = wall_spot(rng.uniform(0.2, 0.35) * u, 0.1 * u)
            if spot:
                x0, _, x1, y = spot
                _rect(img, x0, y, x1, y + 0.012 * u, _pick(rng, _WOODS))
                _books(rng, img, x0 + 0.01 * u, x0 + (x1 - x0) * rng.uniform(0.4, 0.9), y, u, stacked=False)
        elif item == "rug":
            _rug(rng, img, box, h, S)
        elif sides:
            x = sides.pop(0)
            if item == "lamp":
                height = rng.uniform(0.12, 0.25) * u if tabletop else (behind - 0.1 * S) * rng.uniform(0.55, 0.9)
                _lamp(rng, img, x, behind, max(height, 0.05 * S), u)
            elif tabletop:
                _books(rng, img, x - 0.06 * u, x + 0.06 * u, behind, u, stacked=True)
            else:
                _side_table(rng, img, x, behind, rng.uniform(0.12, 0.2) * S, rng.uniform(0.1, 0.18) * S, S)
    # daylight from one side and a darker ceiling corner
    x = np.linspace(-0.5, 0.5, S, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, S, dtype=np.float32)[:, None]
    light = 1 + rng.uniform(-0.18, 0.18) * x - 0.1 * np.clip(0.3 - y, 0, 1)
    return img * light[..., None]


# --------------------------------------------------------------------------- render


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
