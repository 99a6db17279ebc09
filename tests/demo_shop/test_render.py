"""Procedural product photos: determinism, sane masks with real holes, studio vs room backgrounds."""

import json

import numpy as np
import pytest
from scipy import ndimage

from demo_shop.catalog import KINDS
from demo_shop.looks import ProductLook, random_look
from demo_shop.render import SHOTS, render

SIZE = 256  # half the shop's size keeps the suite fast; everything in the renderer scales with it


def rng(*seed):
    return np.random.default_rng(list(seed))


def shoot(class_name, shot, seed, size=SIZE):
    look = random_look(class_name, rng(seed, 0))
    img, mask = render(look, shot, rng(seed, 1), size)
    return np.asarray(img), mask


def look_where(class_name, **wanted):
    """The first random look (by seed) whose params match `wanted`."""
    for seed in range(200):
        look = random_look(class_name, rng(seed, 0))
        if all(look.params.get(k) == v for k, v in wanted.items()):
            return look
    raise AssertionError(f"no {class_name} look with {wanted}")


def test_same_seeds_give_identical_photos_and_other_seeds_do_not():
    for class_name in ("couch", "wine-glass", "potted-plant"):
        a, mask_a = shoot(class_name, "lifestyle", 3)
        b, mask_b = shoot(class_name, "lifestyle", 3)
        assert np.array_equal(a, b) and np.array_equal(mask_a, mask_b)
    look = random_look("vase", rng(5))
    first, _ = render(look, "studio", rng(1), SIZE)
    second, _ = render(look, "studio", rng(2), SIZE)
    assert not np.array_equal(np.asarray(first), np.asarray(second))


def test_looks_are_deterministic_json_and_varied():
    for class_name in KINDS:
        look = random_look(class_name, rng(9))
        assert look == random_look(class_name, rng(9))
        assert json.loads(json.dumps(look.params)) == look.params
        assert look.params != random_look(class_name, rng(10)).params
    # a look stored as JSON renders the same photos
    look = random_look("chair", rng(4))
    stored = ProductLook("chair", json.loads(json.dumps(look.params)))
    assert np.array_equal(np.asarray(render(look, "studio", rng(1), 128)[0]),
                          np.asarray(render(stored, "studio", rng(1), 128)[0]))
    with pytest.raises(ValueError):
        random_look("table", rng(0))
    with pytest.raises(ValueError):
        render(random_look("cup", rng(0)), "outdoor", rng(0), SIZE)


@pytest.mark.parametrize("class_name", KINDS)
def test_every_class_renders_one_product_of_sensible_size_in_both_shots(class_name):
    for shot in SHOTS:
        for seed in range(2):
            img, mask = shoot(class_name, shot, seed)
            assert img.shape == (SIZE, SIZE, 3) and img.dtype == np.uint8
            assert mask.shape == (SIZE, SIZE) and mask.dtype == bool
            assert 0.03 < mask.mean() < 0.7, (shot, seed, mask.mean())
            assert not (mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())
            labels, _ = ndimage.label(mask)
            assert np.bincount(labels.ravel())[1:].max() > 0.9 * mask.sum()  # one product, not scattered bits
            assert img[mask].std() > 3  # shaded and textured, not a flat fill


@pytest.mark.parametrize("class_name, wanted", [
    ("chair", {"kind": "dining"}),  # gaps between back slats / rails / posts and seat
    ("chair", {"kind": "stool", "ring": True}),  # footrest ring between the legs
    ("cup", {"kind": "mug"}),  # the handle's hole
    ("cup", {"kind": "teacup"}),
    ("bed", {"head": "bars"}),  # rods of a metal headboard
])
def test_open_structures_leave_holes_in_the_mask(class_name, wanted):
    look = look_where(class_name, **wanted)
    for seed in range(2):
        img, mask = render(look, "studio", rng(seed, 1), SIZE)
        holes = ndimage.binary_fill_holes(mask) & ~mask
        assert holes.sum() > 20, (wanted, seed)
        # a hole shows the background: as light as the studio paper, not the product's colour
        assert np.asarray(img)[holes].mean() > 150


def test_studio_background_is_light_away_from_the_floor_shadow():
    for i, class_name in enumerate(KINDS):
        img, mask = shoot(class_name, "studio", i)
        for corner in (np.s_[:12, :12], np.s_[:12, -12:]):
            assert img[corner][~mask[corner]].mean() > 200, (class_name, img[corner].mean())


def test_lifestyle_backgrounds_are_busier_than_studio_ones():
    def background_spread(shot):
        spreads = []
        for i, class_name in enumerate(KINDS):
            img, mask = shoot(class_name, shot, 20 + i)
            spreads.append(img[~mask].astype(float).std())
        return np.array(spreads)

    studio, lifestyle = background_spread("studio"), background_spread("lifestyle")
    assert lifestyle.mean() > 2 * studio.mean()
    assert (lifestyle > studio).mean() >= 0.75
