"""Every stage measured on real photos (issue 23): a shop built from a photo folder with true masks, served on
127.0.0.1, crawled by the real spider through config/sites/realphotos.yaml, labelled by the default teachers,
a student trained on it by the demo's recipe, all scored against the true masks.

    PYTHONPATH=. .venv/bin/python benchmarks/real_bench.py [--photos DIR] [--var DIR] [--data DIR] [--out DIR]
                                                           [--set section.key=value ...]

DIR (default ../shared/realphotos) holds images/NAME.jpg, masks/NAME.png (0/255) and meta.csv name,class,kind;
the shop sells one product per photo. Everything is written under --var / --data (default var/real-bench/),
never the user's data/; the fetched teacher and encoder weights are shared with the user's var/ (links).
Prints one markdown table and writes it, real_bench.json (every figure) and a gallery of the worst labels
under --out (default <var>/..). The demo champion column comes from the user's registry (`make demo`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import keras  # noqa: E402

from benchmarks.real_scores import (label_figures, label_rows, load_champion, score_model,  # noqa: E402
                                    split_truth_photos, worst_labels_gallery)
from demo_shop.photo_shop import PhotoFolderError  # noqa: E402
from labelling.run import run_labelling  # noqa: E402
from prodseg.classes import ClassList  # noqa: E402
from prodseg.fileio import atomic_write_json, atomic_write_text  # noqa: E402
from prodseg.settings import REPO_ROOT, ConfigError, Settings, parse_overrides  # noqa: E402
from scrapers.crawl import build_site_shop, run_crawl  # noqa: E402
from scrapers.site_config import load_site  # noqa: E402
from training.split import run_split  # noqa: E402
from training.train import run_train  # noqa: E402

log = logging.getLogger("real_bench")
SITE = "realphotos"
DEFAULT_PHOTOS = REPO_ROOT.parent / "shared" / "realphotos"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_settings(var: Path, data: Path, sets: list[str]) -> Settings:
    """Settings writing only under ``var`` and ``data`` (its own shop, port, MLflow store); ``sets`` on top."""
    isolated = [f"paths.var={var}", f"paths.data={data}", f"paths.shop={var / 'photo-shop'}",
                f"shop.port={free_port()}", "crawl.progress_every=0",
                f"mlflow.tracking_uri=sqlite:///{var / 'mlflow' / 'mlflow.db'}"]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PRODSEG")}
    return Settings.load(parse_overrides([*isolated, *sets]), environ=environ)


def share_weight_caches(settings: Settings, user: Settings) -> None:
    """Link the bench's teacher and encoder weight folders to the user's: downloads, not data."""
    for mine, theirs in ((settings.teachers_dir, user.teachers_dir), (settings.encoders_dir, user.encoders_dir)):
        if mine.resolve() == theirs.resolve() or mine.exists():
            continue
        theirs.mkdir(parents=True, exist_ok=True)
        mine.parent.mkdir(parents=True, exist_ok=True)
        mine.symlink_to(theirs.resolve(), target_is_directory=True)


def site_for(settings: Settings, photos: Path) -> str:
    """The committed site YAML, or (for another photo folder) a copy of it naming that folder, under var/."""
    committed = settings.site_config_path(SITE)
    site = load_site(committed)
    if (settings.repo_root / site.photos).resolve() == photos.resolve():
        return SITE
    variant = settings.var_dir / "real-bench-site" / f"{SITE}.yaml"
    atomic_write_text(variant, json.dumps({**site.model_dump(exclude_defaults=True), "photos": str(photos.resolve())}))
    return str(variant)


@contextmanager
def timed(times: dict[str, float], step: str):
    start = time.perf_counter()
    log.info("real bench: %s ...", step)
    yield
    times[step] = round(time.perf_counter() - start, 1)


def run_bench(settings: Settings, photos: Path, out: Path, champion_uri: str, champion_model: str) -> dict:
    """The whole flow; returns every figure (also written to ``out/real_bench.json``)."""
    times: dict[str, float] = {}
    site_ref = site_for(settings, photos)
    site = load_site(settings.site_config_path(site_ref))
    with timed(times, "shop"):
        shop = build_site_shop(settings, site)
    with timed(times, "crawl"):
        crawl = run_crawl(settings, site_ref)
    with timed(times, "label"):
        labelled = run_labelling(settings, progress=False)
    rows = label_rows(settings)
    with timed(times, "train"):
        split = run_split(settings)
        trained = run_train(settings)
    with timed(times, "score"):
        test = split_truth_photos(settings)
        student = score_model(keras.models.load_model(settings.student_path),
                              ClassList.load(settings.model_classes_path), test, settings)
        champ = load_champion(champion_uri, champion_model)
        champion = (score_model(champ.model, champ.classes, test, settings) | {"version": champ.version}
                    if champ.model is not None else {"absent": champ.why_absent})
    with timed(times, "gallery"):
        gallery = worst_labels_gallery(rows, settings, out)
    times["total"] = round(sum(times.values()), 1)
    figures = {
        "photos": str(photos), "products": shop.products, "one_product_per_photo": True,
        "crawl": {"catalog_rows": crawl.catalog_rows, "rows_per_class": crawl.rows_per_class,
                  "pages_per_s": crawl.figures.get("pages_per_s")},
        "labels": {"labeller": labelled.labeller, **label_figures(rows)},
        "split": {"images": {s: sum(c.values()) for s, c in split.counts.items()}, "products": split.products},
        "student": {**student, "best_val_mean_iou": trained.best_val_mean_iou,
                    "encoder_weights": trained.encoder_weights_used},
        "champion": champion,
        "gallery": gallery,
        "seconds": times,
    }
    table = markdown_table(figures)
    atomic_write_json(out / "real_bench.json", figures)
    atomic_write_text(out / "real_bench.md", table + "\n")
    return figures


def _fmt(value, n=None) -> str:
    if value is None:
        return "-"
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    return f"{text} ({n})" if n is not None else text


def _shots(fig: dict) -> list[str]:
    return [_fmt(fig.get("all"), fig.get("n")), _fmt(fig.get("studio"), fig.get("n_studio")),
            _fmt(fig.get("room"), fig.get("n_room"))]


def markdown_table(f: dict) -> str:
    """One table: labels, student and champion vs truth (all / studio / room; photos in brackets), then per class
    and the wall time of each step."""
    lab, stu, champ = f["labels"], f["student"], f["champion"]
    low = lab["accepted_under_0.8"]
    reasons = ", ".join(f"{k} {v}" for k, v in lab["rejected"]["reasons"].items()) or "none"
    rows = [
        ["label IoU vs truth, all drawn", *_shots(lab["drawn"])],
        ["label IoU vs truth, accepted", *_shots(lab["accepted"])],
        ["accepted labels under 0.8 IoU", f"{_fmt(low['share'])} ({low['count']} of {low['of']})", "", ""],
        ["labels rejected", f"{lab['rejected']['count']} of {lab['photos']}: {reasons}", "", ""],
        ["student (trained here) foreground IoU, test photos", *_shots(stu)],
        ["student class right", _fmt(stu.get("class_right")), "", ""],
    ]
    if "absent" in champ:
        rows.append(["demo champion", f"absent: {champ['absent']}", "", ""])
    else:
        rows += [[f"demo champion v{champ['version']} foreground IoU, same photos", *_shots(champ)],
                 ["demo champion class right", _fmt(champ.get("class_right")), "", ""]]
    for name, c in lab["per_class"].items():
        rows.append([f"label IoU {name}: drawn / accepted",
                     f"{_fmt(c['drawn'])} / {_fmt(c['accepted'])} ({c['n_accepted']} of {c['photos']} accepted)", "", ""])
    rows.append(["wall time s: " + ", ".join(f"{k} {v}" for k, v in f["seconds"].items() if k != "total"),
                 f"total {f['seconds']['total']}", "", ""])
    lines = ["| measure | all | studio | room |", "|---|---|---|---|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--var", type=Path, default=REPO_ROOT / "var" / "real-bench" / "var")
    parser.add_argument("--data", type=Path, default=None, help="default: beside --var, data/")
    parser.add_argument("--out", type=Path, default=None, help="default: the folder above --var")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="config overrides for the bench's run (e.g. label.labeller=grabcut)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    var = args.var.resolve()
    data, out = (args.data or var.parent / "data").resolve(), (args.out or var.parent).resolve()
    user = Settings.load()   # the user's registry holds the demo champion; their weight caches are reused
    champion_uri, champion_model = user.mlflow_tracking_uri, user.config.mlflow.registered_model
    os.environ.pop("MLFLOW_TRACKING_URI", None)   # it would win over the bench's own MLflow store
    settings = bench_settings(var, data, args.set)
    share_weight_caches(settings, user)
    try:
        figures = run_bench(settings, args.photos, out, champion_uri, champion_model)
    except (PhotoFolderError, ConfigError) as exc:
        sys.exit(f"real_bench: {exc}")
    print(markdown_table(figures))
    print(f"\nfigures: {out / 'real_bench.json'}; worst labels: {out / 'worst_labels.html'}")


if __name__ == "__main__":
    main()
