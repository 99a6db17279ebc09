"""Each teacher, the detector and their combinations on photos with true masks: what is accepted, how good.

    nice .venv/bin/python benchmarks/teacher_bench.py [--photos ../shared/realphotos] [--limit N] [--demo 60]

Prints, per method: share of photos accepted, mean IoU vs truth of the accepted labels (studio / room), the
share of accepted labels under 0.8 IoU and the count under 0.5, the mean IoU of every label drawn, and
seconds per image (the teachers it ran). A last row is the teachers' ceiling: for each photo the best of
every mask they drew, picked by the truth, so no acceptance rule over these teachers can do better. The
guided labeller's acceptance rule is fitted here (grid search over its two thresholds: most photos accepted
with at most 3% of them under 0.8 and none under 0.5) and its precision shown with k-fold cross-validation
over the photos (each photo is one product), so the figure is not measured on the photos the rule was fitted
on. Every teacher's raw output is cached per photo under
``<var>/bench/teachers`` (keyed by photo, teacher and config), so refitting never re-runs IS-Net.
``--demo N`` runs the same on N photos of a generated demo shop (half room shots).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from label_bench import photos as demo_photos
from labelling.cascade import combined_score
from labelling.choose import build_labeller, resolve_labeller
from labelling.guided import Observation, Rule, box_fit, decide
from labelling.instances import mask_iou
from prodseg.images import load_rgb
from prodseg.fileio import atomic_write_bytes
from prodseg.settings import Settings

# realphotos' catalog words -> the shop's classes
REAL_CLASSES = {"sofa": "couch", "swivel chair": "chair", "plant pot": "potted-plant", "bed": "bed", "chair": "chair",
                "table": "table"}
AGREEMENTS = np.round(np.arange(0.8, 0.976, 0.025), 3)
BOX_FITS = np.round(np.arange(0.6, 0.91, 0.1), 3)
BOX_SCORES = (0.15, 0.2, 0.25, 0.3)
MAX_UNDER_08 = 0.03
TEACHER_MASKS = ("grabcut_mask", "isnet_mask", "isnet_box_mask", "grabcut_box_mask")
CEILING = "best mask of any teacher (picked by the truth)"


class Tracked(dict):
    """A store that records which teachers' outputs a decision read (for its seconds per image)."""

    def __init__(self, data):
        super().__init__(data)
        self.read = set()

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def real_photos(folder: Path, limit: int | None) -> pd.DataFrame:
    meta = pd.read_csv(folder / "meta.csv")
    meta = meta.head(limit) if limit else meta
    return pd.DataFrame({"name": meta["name"], "class_name": meta["class"].map(REAL_CLASSES), "shot": meta["kind"],
                         "path": [folder / "images" / f"{n}.jpg" for n in meta["name"]],
                         "true_path": [folder / "masks" / f"{n}.png" for n in meta["name"]]})


def observe_all(labeller, rows: pd.DataFrame, cache: Path) -> list[dict]:
    """Every teacher output for every photo (cached), with the seconds each took under ``t_<name>``."""
    tag = hashlib.sha256(labeller.teachers_key().encode()).hexdigest()[:10]
    stores = []
    for row in rows.itertuples():
        data = Path(row.path).read_bytes()
        path = cache / f"{Path(row.path).stem}-{hashlib.sha256(data).hexdigest()[:10]}-{tag}.npz"
        store = dict(np.load(path)) if path.exists() else {}
        image = load_rgb(Path(row.path), 32, 20_000_000)
        ob = Observation(image, row.class_name, labeller, store)
        steps = [("boxes", ob.box), ("grabcut_mask", lambda: ob.whole("grabcut")),
                 ("isnet_mask", lambda: ob.whole("isnet")), ("isnet_box_mask", ob.isnet_box),
                 ("grabcut_box_mask", ob.grabcut_box)]
        changed = False
        for name, step in steps:
            if name.endswith("_box_mask") and not (ob.knows_class() and ob.box() is not None):
                continue
            if name not in store:
                start = time.perf_counter()
                step()
                store[f"t_{name}"] = time.perf_counter() - start
                changed = True
        if changed:
            buf = io.BytesIO()
            np.savez_compressed(buf, **store)
            atomic_write_bytes(path, buf.getvalue())
        stores.append(store)
        print(f"  {row.path.name}: {', '.join(f'{k[2:]} {v:.2f}s' for k, v in store.items() if k.startswith('t_'))}",
              flush=True)
    return stores


def seconds(store: dict, names) -> float:
    return float(sum(store.get(f"t_{n}", 0.0) for n in names))


def methods(store: dict, image_shape, category, labeller, rule: Rule) -> dict[str, tuple[np.ndarray, bool, float]]:
    """Each method's (mask, accepted, seconds) from one photo's cached outputs."""
    gc, gs = np.asarray(store["grabcut_mask"], bool), float(store["grabcut_score"])
    dn, ds = np.asarray(store["isnet_mask"], bool), float(store["isnet_score"])
    out = {"grabcut": (gc, gs >= 0.5, seconds(store, ["grabcut_mask"])),
           "isnet": (dn, ds >= 0.5, seconds(store, ["isnet_mask"]))}
    if gs >= rule.confident:
        out["cascade (today)"] = (gc, True, seconds(store, ["grabcut_mask"]))
    else:
        out["cascade (today)"] = (dn, combined_score(ds, mask_iou(gc, dn)) >= 0.5,
                                  seconds(store, ["grabcut_mask", "isnet_mask"]))
    boxes = store["boxes"]
    if len(boxes) and labeller.detector.knows(category):
        box = boxes[0, :4]
        ib = np.asarray(store["isnet_box_mask"], bool)
        out["detector+isnet (box fit)"] = (ib, box_fit(ib, box) >= rule.min_box_fit,
                                           seconds(store, ["boxes", "isnet_box_mask"]))
    else:
        out["detector+isnet (box fit)"] = (dn, False, seconds(store, ["boxes", "isnet_mask"]))
    out["cross-check, no detector"] = (*_decide(store, category, labeller, rule, no_boxes=True)[:2],
                                       seconds(store, ["grabcut_mask", "isnet_mask"]))
    out["guided"] = _decide(store, category, labeller, rule)
    return out


def _decide(store, category, labeller, rule, no_boxes=False):
    tracked = Tracked({**store, "boxes": np.zeros((0, 5), np.float32)} if no_boxes else store)
    instance = decide(Observation(np.zeros((*store["grabcut_mask"].shape, 3), np.uint8), category, labeller, tracked),
                      rule)
    return instance.mask, instance.score >= 0.5, seconds(store, tracked.read)


class Truth:
    """One photo's true mask and the IoU of each cached mask with it, computed once (masks are the store's own
    arrays, so the same object is the same mask)."""

    def __init__(self, path: Path):
        self.mask = np.asarray(Image.open(path)) > 0
        self.ious: dict[int, tuple[np.ndarray, float]] = {}

    def iou(self, mask: np.ndarray) -> float:
        if id(mask) not in self.ious:
            self.ious[id(mask)] = (mask, mask_iou(mask, self.mask))  # the mask is kept so its id stays its own
        return self.ious[id(mask)][1]


def evaluate(stores, rows, truths, labeller, rule, only: str | None = None) -> pd.DataFrame:
    records = []
    for store, row, truth in zip(stores, rows.itertuples(), truths):
        if only:
            found = {only: _decide(store, row.class_name, labeller, rule)}
        else:
            found = methods(store, truth.mask.shape, row.class_name, labeller, rule)
            found[CEILING] = best_mask(store, truth)
        for name, (mask, accepted, secs) in found.items():
            records.append({"method": name, "photo": row.path.name, "shot": "room" if row.shot != "studio" else "studio",
                            "iou": truth.iou(mask), "accepted": bool(accepted), "s": secs})
    return pd.DataFrame(records)


def best_mask(store: dict, truth: "Truth") -> tuple[np.ndarray, bool, float]:
    """The mask closest to the truth among every mask the teachers drew for the photo, all accepted: what a
    perfect acceptance rule could pick (its "accepted < 0.8" is the share of photos no teacher gets right)."""
    names = [n for n in TEACHER_MASKS if n in store]
    best = max(names, key=lambda n: truth.iou(store[n]))
    return store[best], True, seconds(store, names)


def table(results: pd.DataFrame) -> pd.DataFrame:
    def summary(g):
        acc = g[g["accepted"]]
        return pd.Series({
            "accepted": round(g["accepted"].mean(), 3),
            "IoU studio": round(acc.loc[acc["shot"] == "studio", "iou"].mean(), 3),
            "IoU room": round(acc.loc[acc["shot"] == "room", "iou"].mean(), 3),
            "acc<0.8": round((acc["iou"] < 0.8).mean(), 3) if len(acc) else float("nan"),
            "acc<0.5 (n)": int((acc["iou"] < 0.5).sum()),
            "all IoU": round(g["iou"].mean(), 3), "s/image": round(g["s"].mean(), 2)})
    return results.groupby("method", sort=False).apply(summary, include_groups=False)


def fit_rule(stores, rows, truths, labeller, base: Rule) -> Rule:
    """The thresholds accepting the most photos with <= 3% of accepted under 0.8 IoU and none under 0.5."""
    best, best_n = None, -1
    for a, f, b in itertools.product(AGREEMENTS, BOX_FITS, BOX_SCORES):
        rule = Rule(float(a), float(f), base.confident, base.min_isnet, b)
        g = evaluate(stores, rows, truths, labeller, rule, only="guided")
        acc = g[g["accepted"]]
        ok = len(acc) and (acc["iou"] < 0.8).mean() <= MAX_UNDER_08 and not (acc["iou"] < 0.5).any()
        if ok and len(acc) > best_n:
            best, best_n = rule, len(acc)
    return best or base


def cross_validate(stores, rows, truths, labeller, base: Rule, folds: int) -> pd.DataFrame:
    """Each photo judged by the rule fitted on the other folds (photos shuffled with a fixed seed)."""
    order = np.random.default_rng(0).permutation(len(rows))
    parts = []
    for k in range(folds):
        test = np.sort(order[k::folds])
        train = np.setdiff1d(np.arange(len(rows)), test)
        rule = fit_rule([stores[i] for i in train], rows.iloc[train], [truths[i] for i in train], labeller, base)
        print(f"  fold {k}: {rule}", flush=True)
        got = evaluate([stores[i] for i in test], rows.iloc[test], [truths[i] for i in test], labeller, rule, "guided")
        parts.append(got.assign(method="guided (cross-validated)"))
    return pd.concat(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "realphotos")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--demo", type=int, default=0, help="also N photos of a generated demo shop")
    args = parser.parse_args()
    settings = Settings.load()
    config = resolve_labeller(settings.config.label.model_copy(update={"labeller": "guided"}), settings.teachers_dir)
    labeller = build_labeller(config)
    base = labeller.rule
    cache = settings.var_dir / "bench" / "teachers"
    pd.set_option("display.width", 200)
    start = time.monotonic()
    rows = real_photos(args.photos, args.limit)
    stores = observe_all(labeller, rows, cache)
    truths = [Truth(p) for p in rows["true_path"]]
    fitted = fit_rule(stores, rows, truths, labeller, base)
    print(f"\n{args.photos} ({len(rows)} photos)\nrule fitted on all: {fitted}\nconfigured: {base}")
    results = pd.concat([evaluate(stores, rows, truths, labeller, base),
                         evaluate(stores, rows, truths, labeller, fitted, "guided").assign(method="guided (fitted on all)"),
                         cross_validate(stores, rows, truths, labeller, base, args.folds)])
    print(table(results).to_string())
    if args.demo:
        rows = demo_photos(settings, args.demo)
        rows["path"] = [Path(p) for p in rows["path"]]
        stores = observe_all(labeller, rows, cache)
        print(f"\ndemo shop ({len(rows)} photos, configured rule)")
        truths = [Truth(p) for p in rows["true_path"]]
        print(table(pd.concat([evaluate(stores, rows, truths, labeller, base),
                               evaluate(stores, rows, truths, labeller, fitted, "guided")
                               .assign(method="guided (rule fitted on real photos)")])).to_string())
    print(f"\n{time.monotonic() - start:.0f} s in all")


if __name__ == "__main__":
    main()
