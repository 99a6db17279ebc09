"""The detector-guided labeller: the catalog's product found by a class-aware detector, its mask cross-checked.

No teacher's own score is trusted alone (on real photos GrabCut kept wooden legs at 1.00, IS-Net the dresser
behind a bed). A label is accepted on the first of these that holds:

1. GrabCut is confident by its own score (``cascade.grabcut_confident``) and its mask fills the detector's box
   of the catalog's class (IoU of the mask's own box with it >= ``guided.min_box_fit``): kept without IS-Net
   (studio shots, fast). Only a box scoring ``guided.min_box_score`` counts, here and below;
2. GrabCut and IS-Net on the whole photo agree (mask IoU >= ``guided.min_agreement``) and, where the detector
   saw the class, the mask fills its box;
3. the detector saw the class: IS-Net and a box-seeded GrabCut, both on the crop around the box
   (``guided.margin``), agree as closely, IS-Net's crop mask is as close to its whole-photo one (the crop
   makes any mask fit the box: the object must be the one IS-Net sees anyway) and fills the box, and IS-Net's
   own score on the whole photo is ``guided.min_isnet_score`` or more (a product in a room).

Classes the detector does not know (or photos where it sees none of the class) have path 2 only. A label's
score is 0.5 times its weakest check's share of that check's threshold, so ``label.min_score`` 0.5 accepts
exactly the labels whose checks all pass.

``Observation`` gathers the teachers' outputs lazily into a store (the benchmark caches it per photo), ``decide``
is the rule: a pure function of the store, so rules can be refitted without re-running any teacher.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from labelling.instances import Instance, keep_large_components, mask_iou
from prodseg.instances import box_from_mask
from prodseg.settings import CascadeConfig, GuidedConfig

BOX_SPECK = 0.05   # box-seeded GrabCut: pieces smaller than this share of the largest are dropped


@dataclass(frozen=True)
class Rule:
    min_agreement: float    # two teachers' masks at least this close (IoU)
    min_box_fit: float      # the mask's box and the detector's at least this close (IoU)
    confident: float        # GrabCut's own score from which it skips IS-Net (when its mask fits the box)
    min_isnet: float = 0.5  # the box path: IS-Net's own score on the whole photo at least this ...
    min_box_score: float = 0.25  # ... and the detector's for the box

    @classmethod
    def of(cls, guided: GuidedConfig, cascade: CascadeConfig) -> "Rule":
        return cls(guided.min_agreement, guided.min_box_fit, cascade.grabcut_confident, guided.min_isnet_score,
                   guided.min_box_score)


def box_iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def box_fit(mask: np.ndarray, box) -> float:
    """How well a mask fills the detector's box: IoU of the mask's own box with it (0 for an empty mask)."""
    own = box_from_mask(mask)
    return box_iou(own, box) if own is not None else 0.0


def crop_around(box, margin: float, height: int, width: int) -> tuple[int, int, int, int]:
    """The box grown by ``margin`` of its sides, in whole pixels inside the photo: (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    return (max(0, int(x0 - mx)), max(0, int(y0 - my)), min(width, int(np.ceil(x1 + mx))),
            min(height, int(np.ceil(y1 + my))))


def grabcut_in_box(image: np.ndarray, box, crop: tuple[int, int, int, int], work_size: int,
                   iterations: int) -> np.ndarray:
    """GrabCut seeded by the box alone (outside it background), on the crop at ``work_size``; full-size mask."""
    x0, y0, x1, y1 = crop
    patch = image[y0:y1, x0:x1]
    ph, pw = patch.shape[:2]
    scale = min(1.0, work_size / max(ph, pw))
    small = cv2.resize(patch, (max(1, round(pw * scale)), max(1, round(ph * scale))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    rx0, ry0 = int((box[0] - x0) * scale), int((box[1] - y0) * scale)
    rect = (rx0, ry0, max(1, min(sw - rx0, int((box[2] - box[0]) * scale))),
            max(1, min(sh - ry0, int((box[3] - box[1]) * scale))))
    seeds = np.zeros((sh, sw), np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    try:
        cv2.grabCut(cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2BGR), seeds, rect, bgd, fgd, iterations,
                    cv2.GC_INIT_WITH_RECT)
    except cv2.error:  # a box too thin to hold both models: no mask
        return np.zeros(image.shape[:2], bool)
    fg = ((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)).astype(np.float32)
    full = np.zeros(image.shape[:2], bool)
    full[y0:y1, x0:x1] = cv2.resize(fg, (pw, ph), interpolation=cv2.INTER_LINEAR) >= 0.5
    return keep_large_components(full, BOX_SPECK)


def in_crop(labeller, image: np.ndarray, crop: tuple[int, int, int, int], category) -> tuple[np.ndarray, float]:
    """A class-agnostic teacher's (mask, score) on the crop, pasted back at the photo's size."""
    x0, y0, x1, y1 = crop
    found = labeller.label(np.ascontiguousarray(image[y0:y1, x0:x1]), category)
    full = np.zeros(image.shape[:2], bool)
    if found:
        full[y0:y1, x0:x1] = found[0].mask
    return full, (found[0].score if found else 0.0)


class Observation:
    """The teachers' outputs for one photo, computed when first asked for and kept in ``store``."""

    def __init__(self, image: np.ndarray, category: str | None, labeller: "GuidedLabeller", store: dict | None = None):
        self.image, self.category, self.labeller = image, category, labeller
        self.store = {} if store is None else store

    def _get(self, name: str, compute):
        if name not in self.store:
            self.store[name] = compute()
        return self.store[name]

    def knows_class(self) -> bool:
        return self.labeller.detector.knows(self.category)

    def _boxes(self) -> np.ndarray:
        def compute():
            boxes = self.labeller.detector.of_class(self.labeller.detector.detect(self.image), self.category)
            return np.array([[*b.as_tuple(), b.score] for b in boxes], np.float32).reshape(-1, 5)
        return self._get("boxes", compute)

    def box(self):
        """The detector's most confident box of the catalog's class, or None."""
        boxes = self._boxes()
        return tuple(float(v) for v in boxes[0, :4]) if len(boxes) else None

    def box_score(self) -> float:
        boxes = self._boxes()
        return float(boxes[0, 4]) if len(boxes) else 0.0

    def whole(self, teacher: str) -> tuple[np.ndarray, float]:
        """``grabcut`` or ``isnet`` on the whole photo: (mask, own score)."""
        if f"{teacher}_mask" not in self.store:
            found = getattr(self.labeller, teacher).label(self.image, self.category)
            self.store[f"{teacher}_mask"] = found[0].mask if found else np.zeros(self.image.shape[:2], bool)
            self.store[f"{teacher}_score"] = found[0].score if found else 0.0
        return np.asarray(self.store[f"{teacher}_mask"], bool), float(self.store[f"{teacher}_score"])

    def crop(self):
        h, w = self.image.shape[:2]
        return crop_around(self.box(), self.labeller.config.margin, h, w)

    def isnet_box(self) -> np.ndarray:
        return np.asarray(self._get("isnet_box_mask", lambda: in_crop(self.labeller.isnet, self.image, self.crop(),
                                                                       self.category)[0]), bool)

    def grabcut_box(self) -> np.ndarray:
        cfg = self.labeller.grabcut.config
        return np.asarray(self._get("grabcut_box_mask", lambda: grabcut_in_box(
            self.image, self.box(), self.crop(), cfg.work_size, cfg.iterations)), bool)


def _verdict(mask: np.ndarray, checks: dict[str, tuple[float, float]], source: str, category) -> Instance:
    """An instance whose score is 0.5 x the weakest check's share of its threshold (capped at 1): 0.5 or more
    exactly when every check passes, so ``label.min_score`` 0.5 accepts it."""
    margin = min(value / max(threshold, 1e-6) for value, threshold in checks.values())
    agreement = checks.get("agreement", (None,))[0]
    return Instance(mask=mask, class_name=category, score=round(float(min(1.0, 0.5 * margin)), 4), source=source,
                    agreement=None if agreement is None else round(float(agreement), 4))


def decide(ob: Observation, rule: Rule) -> Instance:
    """The label for one photo and how sure the cross-checks make it (see the module's doc): the first path
    whose checks all pass, else the rejected path that came closest."""
    # a box the detector is unsure of neither vouches for a mask nor vetoes one
    box = ob.box() if ob.knows_class() and ob.box_score() >= rule.min_box_score else None
    fast, fast_score = ob.whole("grabcut")
    if box is not None and fast_score >= rule.confident and box_fit(fast, box) >= rule.min_box_fit:
        return _verdict(fast, {"box_fit": (box_fit(fast, box), rule.min_box_fit)}, "grabcut+box", ob.category)
    deep, _ = ob.whole("isnet")
    # two whole-photo teachers agreeing closely are both right: GrabCut's outline where it is sure of the photo
    mask, source = (fast, "grabcut") if fast_score >= rule.confident else (deep, "isnet")
    checks = {"agreement": (mask_iou(fast, deep), rule.min_agreement)}
    if box is not None:
        checks["box_fit"] = (box_fit(mask, box), rule.min_box_fit)
    candidates = [_verdict(mask, checks, source, ob.category)]
    if box is not None and candidates[0].score < 0.5:
        inside = ob.isnet_box()
        # the crop makes any mask fit the box: IS-Net must also find the same object in the whole photo
        candidates.append(_verdict(inside, {"agreement": (mask_iou(inside, ob.grabcut_box()), rule.min_agreement),
                                            "same_object": (mask_iou(inside, deep), rule.min_agreement),
                                            "box_fit": (box_fit(inside, box), rule.min_box_fit),
                                            "isnet": (ob.whole("isnet")[1], rule.min_isnet)},
                                   "isnet+box", ob.category))
    return max(candidates, key=lambda c: c.score)


class GuidedLabeller:
    name = "guided"

    def __init__(self, detector, grabcut, isnet, config: GuidedConfig, cascade: CascadeConfig):
        self.detector, self.grabcut, self.isnet, self.config = detector, grabcut, isnet, config
        self.rule = Rule.of(config, cascade)
        self.teachers = (grabcut, isnet)

    @property
    def weights_path(self):
        return self.isnet.weights_path

    def teachers_key(self) -> str:
        """What the teachers' outputs depend on (not the rule deciding from them)."""
        return f"guided-{self.detector.key()}-{self.grabcut.key()}-{self.isnet.key()}-m{self.config.margin}"

    def key(self) -> str:
        r = self.rule
        return f"{self.teachers_key()}-a{r.min_agreement}-f{r.min_box_fit}-c{r.confident}-i{r.min_isnet}-b{r.min_box_score}"

    def label(self, image: np.ndarray, category: str | None) -> list[Instance]:
        return [decide(Observation(image, category, self), self.rule)]

