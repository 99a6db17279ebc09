"""Product looks: what stays the same across all photos of one product, drawn per class."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ProductLook:
    """What stays the same across all photos of one product."""

    class_name: str  # one of the demo shop's kinds (demo_shop.catalog.KINDS)
    params: dict  # shape/colour/material params, JSON-serialisable


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
        raise ValueError(f"unknown class {class_name!r}; expected one of {', '.join(_LOOKS)}")
    return ProductLook(class_name, _json(_LOOKS[class_name](rng)))
