"""The evaluation's files: report.json, metrics.json (DVC metrics), per_class_iou.csv (DVC plots),
report.md / report.html with the comparison table, and the PNGs they show.

report.html embeds its pictures (data: URIs): it is logged to MLflow, whose artifact viewer shows
the one file, where relative links break. report.md links the PNGs beside it."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from evaluation.data import EvalSet
from evaluation.plots import gallery, iou_histogram, per_class_bars
from evaluation.scores import Predictions
from prodseg.datauri import image_data_uri
from prodseg.fileio import atomic_write_bytes, atomic_write_json, atomic_write_text
from prodseg.settings import Settings

PLOTS = ("per_class.png", "iou_histogram.png", "gallery.png")   # what report.html shows, in order
# Per embedded picture: three of them keep report.html under ~4 MB (base64 adds a third).
EMBED_MAX_BYTES = 1_000_000
_templates = jinja2.Environment(loader=jinja2.PackageLoader("evaluation", "templates"), autoescape=True)


def _fmt(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(models: list[dict]) -> pd.DataFrame:
    """The comparison table, one row per model, as people read it."""
    rows = []
    for m in models:
        labels, truth = m["labels"] or {}, m["truth"] or {}
        subsets = truth.get("subsets", {})
        rows.append({
            "model": m["name"],
            "weights MB": "none" if m["size_mb"] is None else _fmt(m["size_mb"], 2),
            "ms/image (median, p90)": f"{m['latency_ms']['median']:.2f}, {m['latency_ms']['p90']:.2f}",
            "mean IoU vs labels": _fmt(labels.get("mean_iou")),
            "fg IoU vs labels": _fmt(labels.get("foreground_iou")),
            "pixel acc.": _fmt(labels.get("pixel_accuracy")),
            "Dice": _fmt(labels.get("dice")),
            "box mAP@0.5": _fmt(labels.get("box_map50")),
            "mean IoU vs truth (test split)": _fmt(subsets.get("test_split", {}).get("mean_iou")),
            "all photos": _fmt(truth.get("mean_iou")),
            "studio": _fmt(subsets.get("studio", {}).get("mean_iou")),
            "lifestyle": _fmt(subsets.get("lifestyle", {}).get("mean_iou")),
            "note": m["note"],
        })
    return pd.DataFrame(rows)


def flat_metrics(report) -> dict:
    """Numbers only, for `dvc metrics show` and MLflow."""
    out = {"headline": {k: v for k, v in report.student.items() if v is not None}}
    for m in report.models:
        key = m["name"].replace(" ", "_").replace(",", "").replace("(", "").replace(")", "")
        out[key] = {"mean_iou_labels": (m["labels"] or {}).get("mean_iou"),
                    "mean_iou_truth": (m["truth"] or {}).get("subsets", {}).get("test_split", {}).get("mean_iou"),
                    "mean_iou_truth_all_photos": (m["truth"] or {}).get("mean_iou"),
                    "latency_ms": m["latency_ms"]["median"], "size_mb": m["size_mb"]}
    return out


def per_class_table(models: list[dict]) -> pd.DataFrame:
    student = models[0]
    classes = sorted(set((student["labels"] or {}).get("per_class_iou", {}))
                     | set((student["truth"] or {}).get("per_class_iou", {})))
    return pd.DataFrame({"class": classes,
                         "iou": [(student["labels"] or {}).get("per_class_iou", {}).get(c) for c in classes],
                         "iou_truth": [(student["truth"] or {}).get("per_class_iou", {}).get(c) for c in classes]})


def best_and_worst(labels: EvalSet, preds: Predictions, ious: list[float], n: int) -> bytes:
    order = np.argsort(ious)
    picks = list(order[::-1][:n]) + [i for i in order[:n] if i not in order[::-1][:n]]
    titles = [f"{'best' if k < n else 'worst'} IoU {ious[i]:.2f} ({labels.rows['class_name'].iloc[i]})"
              for k, i in enumerate(picks)]
    return gallery(labels.images[picks], labels.refs[picks], preds.class_maps[picks], titles)


def write(settings: Settings, report, labels: EvalSet, student_preds: Predictions, gallery_size: int) -> list[Path]:
    out_dir = settings.evaluation_dir
    comparison = table(report.models)
    per_class = per_class_table(report.models)
    bars = {m["name"]: (m["labels"] or {}).get("per_class_iou", {}) for m in report.models
            if m["labels"] and m["name"] != "student, raw argmax"}
    plots = {"per_class.png": per_class_bars(bars), "iou_histogram.png": iou_histogram(report.per_image_iou),
             "gallery.png": best_and_worst(labels, student_preds, report.per_image_iou["vs labels"], gallery_size)}
    files = [
        atomic_write_json(settings.evaluation_report_path, asdict(report)),
        atomic_write_json(out_dir / "metrics.json", flat_metrics(report)),
        atomic_write_text(out_dir / "per_class_iou.csv", per_class.to_csv(index=False)),
        *(atomic_write_bytes(out_dir / name, data) for name, data in plots.items()),
    ]
    md = (f"# Evaluation: {report.model_name} v{report.model_version}\n\n"
          f"{report.test_images} test images (pseudo-labels), {report.truth_images} photos of the test products "
          f"with true masks; {report.image_size}x{report.image_size}; latency batch 1 after warm-up, "
          f"{'1 thread' if report.threads_limited else 'TF default threads'}.\n\n"
          f"{comparison.to_markdown(index=False)}\n\n![per-class IoU](per_class.png)\n\n"
          f"![per-image IoU](iou_histogram.png)\n\n![best and worst](gallery.png)\n{people_section(report)}")
    files.append(atomic_write_text(out_dir / "report.md", md))
    # From the bytes: inside the caller's all_or_nothing block the PNGs are not at their paths yet.
    files.append(atomic_write_text(settings.evaluation_html_path, render_html(report, plots)))
    return files


def people_section(report) -> str:
    """Teacher vs people (data/corrections), when anyone reviewed labels."""
    people = report.teacher_vs_people
    if not people:
        return ""
    rows = pd.DataFrame({"class": list(people["per_class_iou"]),
                         "teacher vs people IoU": list(people["per_class_iou"].values())})
    return (f"\n## Teacher vs people\n\n{people['images']} images reviewed ({people['decisions']}); mean mask IoU "
            f"{_fmt(people['mean_iou'])}; the teacher's accept/reject matched people's on "
            f"{people['accept_decision_agreement']:.0%}.\n\n{rows.to_markdown(index=False)}\n")


def render_html(report, plots: dict[str, bytes]) -> str:
    """report.html: the table, the headline numbers and the PLOTS (name -> PNG bytes), embedded."""
    comparison = table(report.models)
    return _templates.get_template("report.html").render(
        report=report, columns=list(comparison.columns), rows=comparison.to_dict("records"),
        student=report.student, raw=json.dumps(report.student, indent=1),
        images={name: image_data_uri(plots[name], EMBED_MAX_BYTES) for name in PLOTS})
