"""Product families: each class built from parts, from its look's params and a view."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np

from demo_shop.parts import (
    _N_FRONT,
    _N_TOP,
    _band,
    _box,
    _ellipse,
    _fabric,
    _frame_mat,
    _glaze,
    _lathe,
    _leaf,
    _leg,
    _Mat,
    _metal,
    _Part,
    _pillow,
    _profile,
    _rounded,
    _wood,
)


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
