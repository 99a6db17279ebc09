import numpy as np

from labelling.instances import (Instance, class_index_mask, fill_holes_where, keep_large_components,
                                 mask_iou, select_product, smooth_mask)


def rect(h=20, w=20, y0=0, y1=0, x0=0, x1=0):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_iou_cases():
    a, b = rect(y0=0, y1=10, x0=0, x1=10), rect(y0=0, y1=10, x0=5, x1=15)
    assert mask_iou(a, a) == 1.0
    assert mask_iou(a, b) == 50 / 150
    assert mask_iou(a, rect(y0=15, y1=20, x0=15, x1=20)) == 0.0
    assert mask_iou(np.zeros((3, 3), bool), np.zeros((3, 3), bool)) == 1.0


def test_keep_large_components_drops_specks_only():
    m = rect(h=40, w=40, y0=5, y1=25, x0=5, x1=25)
    m[30:32, 30:32] = True       # a 4-pixel speck
    m[2:4, 30:38] = True         # 16 pixels: also well under 10% of 400
    kept = keep_large_components(m, min_frac=0.1)
    assert kept.sum() == 400 and kept[10, 10]


def test_fill_holes_fills_product_like_holes_and_keeps_background_ones():
    m = rect(h=30, w=30, y0=2, y1=28, x0=2, x1=28)
    m[5:10, 5:10] = False        # hole over "product" pixels (a highlight)
    m[15:25, 15:25] = False      # hole where background shows (a mug handle)
    product_like = np.zeros_like(m)
    product_like[5:10, 5:10] = True
    filled = fill_holes_where(m, product_like)
    assert filled[7, 7] and not filled[20, 20]


def test_smooth_mask_removes_fringe_pixels():
    m = rect(h=30, w=30, y0=5, y1=25, x0=5, x1=25)
    m[0, 0] = True
    smoothed = smooth_mask(m, 1)
    assert not smoothed[0, 0] and smoothed[15, 15]


def test_select_product_prefers_the_catalog_category_then_the_largest_confident():
    big_chair = Instance(rect(y0=0, y1=20, x0=0, x1=20), "chair", 0.9)
    small_cup = Instance(rect(y0=0, y1=3, x0=0, x1=3), "cup", 0.4)
    weak_big = Instance(rect(y0=0, y1=20, x0=0, x1=19), "bowl", 0.3)
    assert select_product([big_chair, small_cup], "cup", 0.5) is small_cup
    assert select_product([small_cup, big_chair, weak_big], "vase", 0.5) is big_chair
    assert select_product([weak_big], "vase", 0.5) is None
    assert select_product([], "cup", 0.5) is None


def test_class_index_mask():
    out = class_index_mask(rect(h=4, w=4, y0=1, y1=2, x0=1, x1=3), 6)
    assert out.dtype == np.uint8 and set(np.unique(out).tolist()) == {0, 6} and (out == 6).sum() == 2
