"""Edge scores on hand-made masks whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np

from evaluation.boundary import bleed, boundary, boundary_f, edge_band, halo_error, soft_edge_iou


def square(shift: int = 0, size: int = 40) -> np.ndarray:
    mask = np.zeros((size, size), bool)
    mask[10:30, 10 + shift:30 + shift] = True
    return mask


def test_boundary_is_the_masks_outer_ring():
    ring = boundary(square())
    assert ring.sum() == 4 * 19 and ring[10, 10:30].all() and not ring[11:29, 11:29].any()


def test_boundary_f_counts_edges_within_the_tolerance():
    assert boundary_f(square(), square(), 0) == 1.0
    # Shifted 3 px right: the left and right edges (about half the boundary) are 3 px off, the top and
    # bottom ones mostly on the true line; at a 3 px tolerance everything counts.
    shifted = boundary_f(square(3), square(), 2)
    assert 0.4 < shifted < 0.6
    assert boundary_f(square(3), square(), 3) == 1.0
    assert boundary_f(np.zeros((40, 40), bool), square(), 5) == 0.0
    assert boundary_f(np.zeros((40, 40), bool), np.zeros((40, 40), bool), 5) == 1.0


def test_band_iou_bleed_and_halo_of_a_perfect_and_a_fattened_cutout():
    true = square()
    band = edge_band(true, 2)
    assert band[10, 20] and band[8, 20] and band[12, 20] and not band[5, 20] and not band[20, 20]
    photo = np.full((40, 40, 3), 250, np.uint8)  # a white studio
    photo[true] = (200, 20, 20)
    perfect = np.dstack([photo, true * np.uint8(255)])
    assert soft_edge_iou(true.astype(np.float32), true, band) == 1.0
    assert bleed(true.astype(np.float32), true, band) == 0.0 and halo_error(perfect, photo, true, band) == 0.0
    # One ring of white background kept at half alpha: bleed and a light halo over the dark backdrop.
    fat = np.where(true, 1.0, 0.0).astype(np.float32)
    fat[boundary(~true) & band] = 0.5
    fattened = np.dstack([photo, np.rint(fat * 255).astype(np.uint8)])
    assert 0 < bleed(fat, true, band) < 0.5 and soft_edge_iou(fat, true, band) < 1.0
    assert halo_error(fattened, photo, true, band) > 10
