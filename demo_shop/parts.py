"""Products as flat parts in an oblique 3D projection: the part and view types, shape helpers
(rounded boxes, lathed profiles, leaves, pillows) and materials."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

_N_FRONT = (0.0, 0.0, 1.0)  # screen-space normals: x right, y down, z towards the camera
_N_TOP = (0.0, -0.86, 0.51)
_N_SIDE = (0.86, 0.0, 0.51)


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
