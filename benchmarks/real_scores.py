"""The figures of benchmarks/real_bench.py: labels and models against the photo shop's true masks.

Plain functions over the stage outputs (catalog, labels, splits, a Keras model), so the bench and its
test read the same numbers.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import keras
import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from PIL import Image, ImageDraw

from evaluation.candidates import from_probs, keras_probs
from evaluation.data import truth_rows
from labelling.audit import load_truth
from labelling.instances import mask_iou
from prodseg.classes import ClassList
from prodseg.fileio import atomic_write_bytes, atomic_write_text
from prodseg.settings import Settings
from release.registry import current_champion
from training.dataset import load_pair

log = logging.getLogger(__name__)

LOW_IOU = 0.8     # the line: an accepted label under it is a poor one to train on
SHOTS = ("studio", "room")


def _mean(values: pd.Series) -> float | None:
    return round(float(values.mean()), 4) if len(values) else None


def _by_shot(frame: pd.DataFrame, column: str) -> dict:
    return {"all": _mean(frame[column]), "n": len(frame),
            **{shot: _mean(frame.loc[frame["shot"] == shot, column]) for shot in SHOTS},
            **{f"n_{shot}": int((frame["shot"] == shot).sum()) for shot in SHOTS}}


def label_rows(settings: Settings) -> pd.DataFrame:
    """Every catalog photo with its label (drawn or not, accepted or not), true class, shot and IoU vs truth."""
    labels = pd.read_parquet(settings.labels_path)
    truth = load_truth(settings.shop_truth_dir)
    rows = labels.merge(truth, on="image_sha256", how="left")
    ious = []
    for row in rows.itertuples():
        if not isinstance(row.mask_path, str):
            ious.append(np.nan)   # nothing drawn (rejected before a teacher ran, or the teacher found nothing)
            continue
        drawn = np.asarray(Image.open(settings.labels_dir / row.mask_path)) > 0
        true = np.asarray(Image.open(settings.shop_truth_dir / row.true_mask)) > 0
        ious.append(mask_iou(drawn, true) if drawn.shape == true.shape else 0.0)
    rows["iou"] = ious
    return rows


def label_figures(rows: pd.DataFrame) -> dict:
    """Label IoU vs truth of accepted and of all drawn labels (studio, room, per class), the share of
    accepted labels under ``LOW_IOU``, and the rejected with their reasons."""
    drawn, accepted = rows.dropna(subset=["iou"]), rows[rows["accepted"]]
    classes = sorted(rows["true_class"].dropna().unique())
    return {
        "photos": len(rows),
        "drawn": _by_shot(drawn, "iou"),
        "accepted": _by_shot(accepted, "iou"),
        "accepted_under_0.8": {"share": _mean(accepted["iou"] < LOW_IOU), "count": int((accepted["iou"] < LOW_IOU).sum()),
                               "of": len(accepted)},
        "per_class": {c: {"drawn": _mean(drawn.loc[drawn["true_class"] == c, "iou"]),
                          "accepted": _mean(accepted.loc[accepted["true_class"] == c, "iou"]),
                          "photos": int((rows["true_class"] == c).sum()),
                          "n_accepted": int((accepted["true_class"] == c).sum())} for c in classes},
        "rejected": {"count": int((~rows["accepted"]).sum()),
                     "reasons": rows.loc[~rows["accepted"], "reason"].value_counts().sort_index().to_dict()},
    }


def model_classes(model: keras.Model, names: list[str] | None) -> ClassList:
    """A model's class list from its registry tag; ``class-1..N`` from its output width for a model that
    carries none (registered before models carried their list: it cannot name a class right)."""
    if names:
        return ClassList(tuple(names))
    return ClassList(tuple(f"class-{i}" for i in range(1, int(model.output_shape[-1]))))


def split_truth_photos(settings: Settings) -> pd.DataFrame:
    """The test split's products' photos with their true masks (what evaluation's truth scores read)."""
    rows = truth_rows(settings, "test")
    return rows if rows is not None else pd.DataFrame()


def score_model(model: keras.Model, classes: ClassList, rows: pd.DataFrame, settings: Settings) -> dict:
    """Foreground IoU vs the true masks (all, studio, room) and the share of photos whose class the model names
    right, at the model's input size, post-processed as the server does."""
    if rows.empty:
        return {"n": 0}
    size = int(model.input_shape[1])
    images, truths = [], []
    for row in rows.itertuples():
        true_path = settings.shop_truth_dir / row.true_mask
        images.append(load_pair(str(settings.raw_dir / row.image_path), str(true_path), size)[0])
        truths.append(np.asarray(Image.open(true_path).resize((size, size), Image.NEAREST)) > 0)
    maps = from_probs(keras_probs(model, np.stack(images)), settings.config.evaluate).class_maps
    scored = rows[["image_sha256", "shot", "true_class"]].copy()
    scored["iou"] = [mask_iou(m > 0, t) for m, t in zip(maps, truths)]
    named = [classes.name(int(np.bincount(m[m > 0]).argmax())) if (m > 0).any() else None for m in maps]
    scored["class_right"] = [n == c for n, c in zip(named, scored["true_class"])]
    return {**_by_shot(scored, "iou"), "class_right": _mean(scored["class_right"].astype(float)),
            "classes": list(classes.products)}


@dataclass
class Champion:
    model: keras.Model | None
    classes: ClassList | None
    why_absent: str = ""
    version: str = ""


def load_champion(uri: str, name: str) -> Champion:
    """The champion of registered model ``name`` at ``uri`` (``make demo`` leaves one in var/mlflow), or why none."""
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        return Champion(None, None, f"no MLflow registry at {uri.removeprefix('sqlite:///')} (`make demo` makes one)")
    client = MlflowClient(uri, registry_uri=uri)
    try:
        version = current_champion(client, name)
    except mlflow.exceptions.MlflowException as exc:
        return Champion(None, None, f"registry {uri}: {exc}")
    if version is None:
        return Champion(None, None, f"no `champion` alias on {name} in {uri}")
    tag = client.get_model_version(name, version).tags.get("classes")
    # Not models:/name/version through mlflow's global URIs: setting them would leak into the caller's process.
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(mlflow.artifacts.download_artifacts(
            artifact_uri=client.get_model_version_download_uri(name, version), dst_path=tmp,
            tracking_uri=uri, registry_uri=uri))
        found = sorted(folder.rglob("*.keras"))
        if not found:
            return Champion(None, None, f"models:/{name}/{version} holds no .keras file")
        model = keras.models.load_model(found[0], compile=False)
    return Champion(model, model_classes(model, json.loads(tag) if tag else None), version=version)


def worst_labels_gallery(rows: pd.DataFrame, settings: Settings, out: Path, n: int = 8, side: int = 160) -> list[dict]:
    """A PNG of the ``n`` drawn labels furthest from the truth (photo, label, truth) and an HTML page around it."""
    worst = rows.dropna(subset=["iou"]).sort_values("iou").head(n)
    sheet = Image.new("RGB", (3 * side, max(1, len(worst)) * (side + 16)), "white")
    draw = ImageDraw.Draw(sheet)
    entries = []
    for i, row in enumerate(worst.itertuples()):
        photo = Image.open(settings.raw_dir / row.image_path).convert("RGB").resize((side, side))
        for j, mask_file in enumerate((settings.labels_dir / row.mask_path, settings.shop_truth_dir / row.true_mask)):
            mask = Image.open(mask_file).convert("L").point(lambda v: 255 if v else 0).resize((side, side))
            tinted = Image.composite(photo, Image.new("RGB", (side, side), (20, 20, 20)), mask)
            sheet.paste(tinted, ((j + 1) * side, i * (side + 16)))
        sheet.paste(photo, (0, i * (side + 16)))
        entry = {"photo": row.image_path, "class": row.true_class, "shot": row.shot, "iou": round(row.iou, 3),
                 "teacher": row.teacher, "accepted": bool(row.accepted), "reason": row.reason}
        draw.text((4, i * (side + 16) + side + 2), f"IoU {row.iou:.2f}  {row.true_class}, {row.shot}, "
                  f"{row.teacher}, {'accepted' if row.accepted else row.reason}", fill="black")
        entries.append(entry)
    png = io.BytesIO()
    sheet.save(png, format="PNG")
    atomic_write_bytes(out / "worst_labels.png", png.getvalue())
    lines = "".join(f"<tr><td>{e['iou']}</td><td>{e['class']}</td><td>{e['shot']}</td><td>{e['teacher']}</td>"
                    f"<td>{'accepted' if e['accepted'] else e['reason']}</td><td>{e['photo']}</td></tr>" for e in entries)
    atomic_write_text(out / "worst_labels.html",
        "<!doctype html><meta charset=utf-8><title>Worst labels vs truth</title><h1>Worst labels vs truth</h1>"
        "<p>Each row: the photo, the label drawn, the true mask.</p><img src='worst_labels.png'>"
        f"<table><tr><th>IoU</th><th>class</th><th>shot</th><th>teacher</th><th>decision</th><th>photo</th></tr>{lines}"
        "</table>")
    return entries
