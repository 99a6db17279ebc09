"""Backgrounds: the studio paper sweep and room scenes (wall, floor or tabletop, furniture, decor)."""

from __future__ import annotations

import cv2
import numpy as np

from demo_shop.looks import _FABRICS, _GREENS, _METALS, _SHEETS, _WOODS, _one, _pick
from demo_shop.shading import _noise

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
