"""The offline labeller: OpenCV GrabCut seeded from a background model of the image border.

Meant for studio shots (a product on a plain or gradient background). Where the
border is not one smooth background (a room), the score says so: such labels
come out below the acceptance threshold instead of being silently accepted.
"""

from __future__ import annotations

import cv2
import numpy as np

from labelling.instances import Instance, fill_holes_where, keep_large_components, smooth_mask
from prodseg.settings import GrabCutConfig

BORDER = 0.04          # border band, as a share of the long side, that models the background
SEED_DISTANCE = 14.0   # Lab distance from the background model above which a pixel seeds "probably product"
SURE_DISTANCE = 40.0   # ... and above which it is sure product
SHADOW_L_WEIGHT = 0.35 # darker-than-background differences count less: soft shadows are not product


def _coons_background(lab: np.ndarray, band: int) -> np.ndarray:
    """A smooth background estimate inside the image, interpolated from its four border bands.

    Handles flat, linear-gradient and vignetted studio backgrounds alike.
    """
    h, w, _ = lab.shape
    top = np.median(lab[:band], axis=0)
    bottom = np.median(lab[-band:], axis=0)
    left = np.median(lab[:, :band], axis=1)
    right = np.median(lab[:, -band:], axis=1)
    v = np.linspace(0.0, 1.0, h)[:, None, None]
    u = np.linspace(0.0, 1.0, w)[None, :, None]
    corners = (top[0], top[-1], bottom[0], bottom[-1])
    ruled = (1 - v) * top[None] + v * bottom[None] + (1 - u) * left[:, None] + u * right[:, None]
    bilinear = ((1 - u) * (1 - v) * corners[0] + u * (1 - v) * corners[1]
                + (1 - u) * v * corners[2] + u * v * corners[3])
    return ruled - bilinear


def background_distance(lab: np.ndarray, background: np.ndarray) -> np.ndarray:
    diff = lab - background
    darker = diff[..., 0] < 0
    diff[..., 0] *= np.where(darker, SHADOW_L_WEIGHT, 1.0)
    return np.sqrt((diff ** 2).sum(axis=-1))


def border_residual(distance: np.ndarray, band: int) -> float:
    """How far the border itself is from the smooth background model (a room: far)."""
    ring = np.concatenate([distance[:band].ravel(), distance[-band:].ravel(),
                           distance[:, :band].ravel(), distance[:, -band:].ravel()])
    return float(np.percentile(ring, 90))


def _confidence(residual: float, mask: np.ndarray, band: int, contrast: float) -> float:
    """A score in [0, 1] from what makes GrabCut on a studio shot trustworthy."""
    uniform = np.clip((12.0 - residual) / 8.0, 0.0, 1.0)        # 4 or less: a plain background
    area = mask.mean()
    sane_area = 1.0 if 0.01 <= area <= 0.85 else 0.2
    touching = np.concatenate([mask[:band].ravel(), mask[-band:].ravel(),
                               mask[:, :band].ravel(), mask[:, -band:].ravel()]).mean()
    inside = np.clip(1.0 - 4.0 * touching, 0.0, 1.0)           # products sit inside the frame
    separated = np.clip(contrast / SURE_DISTANCE, 0.0, 1.0)
    return float(uniform * sane_area * (0.5 + 0.5 * inside) * (0.6 + 0.4 * separated))


class GrabCutLabeller:
    name = "grabcut"

    def __init__(self, config: GrabCutConfig):
        self.config = config

    def key(self) -> str:
        """Identifies labeller + config: labels made under another key are redone."""
        return f"grabcut-v1-{self.config.work_size}-{self.config.iterations}"

    def label(self, image: np.ndarray, category: str | None) -> list[Instance]:
        h, w = image.shape[:2]
        scale = self.config.work_size / max(h, w)
        small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA) if scale < 1 else image
        lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
        lab[..., 0] *= 100.0 / 255.0  # OpenCV's 8-bit Lab: L in 0..255 -> 0..100, like a and b's scale
        band = max(2, round(BORDER * max(small.shape[:2])))
        distance = background_distance(lab, _coons_background(lab, band))
        residual = border_residual(distance, band)

        seeds = np.full(distance.shape, cv2.GC_PR_BGD, np.uint8)
        seeds[distance > SEED_DISTANCE] = cv2.GC_PR_FGD
        seeds[distance > SURE_DISTANCE] = cv2.GC_FGD
        seeds[:band], seeds[-band:], seeds[:, :band], seeds[:, -band:] = (cv2.GC_BGD,) * 4
        if not (seeds == cv2.GC_PR_FGD).any() and not (seeds == cv2.GC_FGD).any():
            return []  # nothing stands out from the background
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), seeds, None, bgd, fgd,
                    self.config.iterations, cv2.GC_INIT_WITH_MASK)
        mask = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
        mask = keep_large_components(smooth_mask(mask, 1))
        mask = fill_holes_where(mask, distance > SEED_DISTANCE / 2)
        if not mask.any():
            return []
        contrast = float(np.median(distance[mask]))
        score = _confidence(residual, mask, band, contrast)
        if scale < 1:
            mask = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) >= 0.5
        return [Instance(mask=mask, class_name=category, score=score)]
