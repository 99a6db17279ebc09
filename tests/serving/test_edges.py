"""Cut-out edges (issue 13, item 8): decontaminated colours, a narrower alpha, the RLE/alpha invariant kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from serving.edges import contrast_lut, decontaminate, reduction, sharpen
from serving.masks import binary, cutout, instance_map, soft_mask

RED, GREEN = (220, 30, 30), (30, 200, 40)


def red_disk_on_green(size: int = 96, blur: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """A photo and its alpha: a red disk on green, both blurred the same, so edge pixels mix the two colours."""
    disk = np.zeros((size, size), np.float32)
    cv2.circle(disk, (size // 2, size // 2), size // 4, 1.0, -1)
    alpha = cv2.GaussianBlur(disk, (0, 0), blur)
    a = alpha[..., None]
    photo = np.rint(a * np.array(RED) + (1 - a) * np.array(GREEN)).astype(np.uint8)
    return photo, np.rint(alpha * 255).astype(np.uint8)


def test_decontamination_removes_the_background_colour_from_a_blurred_edge():
    photo, alpha = red_disk_on_green()
    rgba = np.dstack([photo, alpha])
    edge = (alpha >= 25) & (alpha <= 230)  # clearly mixed pixels
    mixed = photo[edge].astype(int)
    assert np.median(mixed[:, 1]) > 60  # before: the green shows through
    decontaminate(rgba)
    cleaned = rgba[..., :3][edge].astype(int)
    assert np.median(cleaned[:, 0]) > 190 and np.median(cleaned[:, 1]) < 50  # red, not a red-green mix
    assert np.percentile(np.abs(cleaned - RED).max(axis=1), 90) < 40
    assert np.array_equal(rgba[..., 3], alpha)                                # alpha untouched
    opaque_or_clear = (alpha == 0) | (alpha == 255)
    assert np.array_equal(rgba[..., :3][opaque_or_clear], photo[opaque_or_clear])  # only partial pixels change


def test_decontamination_in_strips_equals_one_pass_and_reduced_is_close():
    photo, alpha = red_disk_on_green(160)
    whole, strips, reduced = (np.dstack([photo, alpha]) for _ in range(3))
    decontaminate(whole, strip_rows=1000)
    decontaminate(strips, strip_rows=7)
    assert np.array_equal(whole, strips)
    decontaminate(reduced, reduce=2)
    edge = (alpha >= 25) & (alpha <= 230)
    assert np.median(reduced[..., 0][edge]) > 190 and np.median(reduced[..., 1][edge]) < 50
    assert reduction(1.5) == 1 and reduction(4) == 2 and reduction(15.6) == 7


def test_decontamination_refuses_what_is_not_uint8_rgba():
    with pytest.raises(ValueError, match="RGBA"):
        decontaminate(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="reduce"):
        decontaminate(np.zeros((4, 4, 4), np.uint8), reduce=0)


def transition_width(soft: np.ndarray) -> int:
    return int(((soft > 12) & (soft < 243)).sum())


def test_sharpening_narrows_the_transition_and_keeps_the_binary_mask():
    mask = np.zeros((32, 32), bool)
    mask[8:24, 6:20] = True
    mask[12:16, 20:26] = True
    plain, sharp = soft_mask(mask, 256, 256, sharpness=1.0), soft_mask(mask, 256, 256, sharpness=2.0)
    assert transition_width(sharp) < 0.6 * transition_width(plain)
    assert np.array_equal(binary(sharp), binary(plain))
    lut = contrast_lut(3.0)
    assert np.all(np.diff(lut.astype(int)) >= 0) and lut[0] == 0 and lut[255] == 255
    assert np.array_equal(lut >= 128, np.arange(256) >= 128)  # the threshold is a fixed point
    assert np.array_equal(sharpen(plain, 1.0), plain)
    with pytest.raises(ValueError, match="sharpness"):
        contrast_lut(0.5)


def test_the_rle_mask_is_the_cutouts_alpha_at_128_after_sharpening_and_decontamination():
    photo, _ = red_disk_on_green(200)
    mask = np.zeros((50, 50), bool)
    cv2.circle(mask.view(np.uint8), (25, 25), 12, 1, -1)
    alpha = soft_mask(mask, 200, 200)
    rgba, (x0, y0, x1, y1) = cutout(photo, alpha, crop=True, edge_scale=4.0)
    framed = np.zeros((200, 200), bool)
    framed[y0:y1, x0:x1] = rgba[..., 3] >= 128
    assert np.array_equal(framed, binary(alpha))  # what /predict encodes is what /segment's PNG shows
    assert not np.array_equal(rgba[..., :3], photo[y0:y1, x0:x1])  # and the edge colours did change


def test_subpixel_edges_follow_the_probability_and_agree_with_the_mask_at_model_pixels():
    # A foreground probability falling off left to right, crossing 0.5 a quarter pixel right of column 9.
    foreground = np.tile(np.clip(0.5 - (np.arange(20) - 9.25) / 4, 0, 1), (20, 1)).astype(np.float32)
    mask = np.zeros((20, 20), bool)
    mask[4:16, 2:10] = True
    mask[9, 12] = True  # a pixel the instance claims even though its probability is 0
    level = instance_map(mask, foreground)
    assert np.array_equal(level >= 128, mask)                   # exactly the instance's pixels
    assert level[5, 10] == 80 and level[5, 11] == 0 and level[5, 1] == 127  # the ring keeps its fade, capped; 0 beyond
    up = soft_mask(mask, 200, 200, sharpness=1.0, foreground=foreground)
    inside = np.flatnonzero(up[60] >= 128)                      # model row 6, 10 px per model px
    # Column 9's centre is at 94.5, column 10's at 104.5: the edge lies where 0.5 is crossed, near 97.
    assert inside.min() <= 20 and 95 <= inside.max() <= 98
    with pytest.raises(ValueError, match="shape"):
        instance_map(mask, foreground[:10])
