"""The gallery on a finished run: how many products show a room photo, how many cut-outs are flagged weak.

    PRODSEG_DATA=... PRODSEG_VAR=... .venv/bin/python benchmarks/gallery_bench.py [--cutouts]

Room or studio comes from the demo shop's truth (``labels/audit.parquet``'s ``shot``), which the
gallery itself never reads. ``--cutouts`` also cuts out every product's shown photo with the served
model (the champion, as ``prodseg serve`` would) and counts the warnings ``/cutouts`` would send.
"""

from __future__ import annotations

import argparse
from collections import Counter

import pandas as pd

from prodseg.settings import Settings
from serving.gallery import Gallery
from serving.quality import cutout_warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cutouts", action="store_true", help="also run the served model on each shown photo")
    args = parser.parse_args()
    settings = Settings.load()
    products = Gallery.load(settings).products
    audit = pd.read_parquet(settings.labels_dir / "audit.parquet", columns=["image_sha256", "shot"])
    shot = dict(zip(audit["image_sha256"], audit["shot"]))
    room = [p for p in products if shot.get(p.sha256) == "lifestyle"]
    only_room = [p for p in room if all(shot.get(photo.sha256) == "lifestyle" for photo in p.photos)]
    print(f"{len(products)} products: {len(room)} shown by a room photo ({len(only_room)} have no other), "
          f"{sum(bool(p.photos[0].warnings) for p in products)} with a warning from their labels")
    if args.cutouts:
        from serving.state import ServedModel  # noqa: PLC0415 - loads the model: only when asked

        predictor = ServedModel(settings, workers=1).predictor
        reasons: Counter = Counter()
        flagged = 0
        for product in products:
            cut = predictor.segment(product.path.read_bytes(), None, True)
            warnings = cutout_warnings(cut.score, cut.border, cut.label, product.class_name, predictor.limits)
            flagged += bool(warnings)
            reasons.update(w.code for w in warnings)
        print(f"served cut-outs flagged weak: {flagged} of {len(products)} {dict(reasons)}")


if __name__ == "__main__":
    main()
