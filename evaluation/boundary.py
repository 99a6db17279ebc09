"""Edge quality of a cut-out against a true mask: boundary F-score, soft edge IoU, halo error, bleed.

No installed library scores boundaries (scikit-image is not a dependency), so these are small
cv2 distance transforms. Boundary F is the DAVIS contour measure: the share of predicted
boundary pixels within ``tolerance`` px of the true boundary (precision), the reverse (recall),
and their harmonic mean. The band is every pixel within ``width`` px of the true boundary, on
both sides: where a cut-out's edge is judged.
"""

from __future__ import annotations

import cv2
import numpy as np


def boundary(mask: np.ndarray) -> np.ndarray:
    """The mask's own pixels that touch (8-connected) a pixel outside it or the image border."""
    mask = mask.astype(np.uint8)
    inner = cv2.erode(mask, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return (mask > 0) & (inner == 0)


def distance_to(pixels: np.ndarray) -> np.ndarray:
    """Euclidean distance (px, float32) of every pixel to the nearest True pixel of ``pixels`` (inf: none)."""
    if not pixels.any():
        return np.full(pixels.shape, np.inf, np.float32)
    return cv2.distanceTransform((~pixels).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def boundary_f(pred: np.ndarray, true: np.ndarray, tolerance: float) -> float:
    """Boundary F-score of two bool masks; 1.0 when both are empty, 0.0 when only one is."""
    pred_edge, true_edge = boundary(pred), boundary(true)
    if not pred_edge.any() or not true_edge.any():
        return float(pred_edge.any() == true_edge.any())
    precision = float((distance_to(true_edge)[pred_edge] <= tolerance).mean())
    recall = float((distance_to(pred_edge)[true_edge] <= tolerance).mean())
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def edge_band(true: np.ndarray, width: float) -> np.ndarray:
    """Pixels within ``width`` px of the true boundary, inside and outside the mask."""
    inside = distance_to(boundary(true))
    outside = distance_to(boundary(~true))  # the background's own edge pixels: the band is symmetric
    return np.minimum(inside, outside) <= width


def soft_edge_iou(alpha: np.ndarray, true: np.ndarray, band: np.ndarray) -> float:
    """IoU of alpha (float 0..1) and the true mask within the band, alpha counted as fractional membership."""
    a, m = alpha[band], true[band].astype(np.float32)
    union = np.maximum(a, m).sum()
    return float(np.minimum(a, m).sum() / union) if union else 1.0


def bleed(alpha: np.ndarray, true: np.ndarray, band: np.ndarray) -> float:
    """Share of the cut-out's alpha in the band that lies outside the true object (background kept)."""
    a = alpha[band]
    total = a.sum()
    return float(a[~true[band]].sum() / total) if total else 0.0


def contrasting(photo: np.ndarray, true: np.ndarray) -> np.ndarray:
    """A backdrop colour far from the photo's own background: its complement (a white studio -> black)."""
    background = photo[~true] if (~true).any() else photo.reshape(-1, 3)
    return 255 - np.median(background, axis=0)


def halo_error(rgba: np.ndarray, photo: np.ndarray, true: np.ndarray, band: np.ndarray) -> float:
    """Mean absolute colour difference (0..255, per channel) in the band between the cut-out placed
    over a contrasting backdrop and the true object placed over the same backdrop."""
    backdrop = contrasting(photo, true).astype(np.float32)
    a = rgba[..., 3][band].astype(np.float32)[:, None] / 255
    placed = rgba[..., :3][band] * a + backdrop * (1 - a)
    m = true[band][:, None]
    expected = np.where(m, photo[band], backdrop)
    return float(np.abs(placed - expected).mean())
