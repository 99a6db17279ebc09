"""A human summary of where the pipeline's outputs are and how to look at them."""

from __future__ import annotations

import json
from pathlib import Path

from prodseg.settings import Settings
from scrapers.catalog import load_catalog


def describe(settings: Settings) -> str:
    lines = []
    catalog = load_catalog(settings.catalog_path)
    if len(catalog):
        per_class = catalog["class_name"].fillna("(unknown)").value_counts().sort_index()
        lines.append(f"catalog: {settings.catalog_path} ({len(catalog)} images of "
                     f"{catalog['product_id'].nunique()} products)")
        lines.append("  " + ", ".join(f"{name} {n}" for name, n in per_class.items()))
        lines.append(f"images:  {settings.images_dir}")
    else:
        lines.append(f"catalog: none yet at {settings.catalog_path} (run `prodseg crawl`)")
    lines += _class_lines(settings)
    if settings.crawl_report_path.exists():
        report = json.loads(settings.crawl_report_path.read_text())
        f = report["figures"]
        lines.append(f"last crawl: {f['product_pages']} product pages in {f['elapsed_s']:.1f}s "
                     f"({f['product_pages_per_s']:.1f} product pages/s), dropped {report['dropped'] or 'none'}")
    lines += _stage_lines(settings)
    lines += _evaluation_lines(settings)
    serve = settings.config.serve
    lines.append(f"demo shop: {settings.shop_site_dir} (serve it: prodseg shop serve, then {settings.shop_url}/)")
    lines.append(f"Dagster UI: make ui  (or DAGSTER_HOME={settings.dagster_home} dg dev -w workspace.yaml), "
                 "then http://127.0.0.1:3000")
    lines.append(f"MLflow UI:  make mlflow-ui  (store {settings.mlflow_tracking_uri}), then {settings.config.mlflow.ui_url}")
    lines.append(f"web app:    prodseg serve, then http://{serve.host}:{serve.port}/")
    return "\n".join(lines)


def _class_lines(settings: Settings) -> list[str]:
    """Each stage's class list (catalog, labels, model), and where one differs from the catalog's."""
    from prodseg.classes import ClassList

    lists = {stage: ClassList.load(path) for stage, path in (("catalog", settings.catalog_classes_path),
                                                              ("labels", settings.label_classes_path),
                                                              ("model", settings.model_classes_path)) if path.exists()}
    catalog = lists.get("catalog")
    return [f"classes ({stage}): {len(classes.products)}: {', '.join(classes.products)}"
            + (" (differs from the catalog's: run the stages after it)" if catalog and classes != catalog else "")
            for stage, classes in lists.items()]


def _read(path):
    return json.loads(path.read_text()) if path.exists() else None


def _stage_lines(settings: Settings) -> list[str]:
    lines = []
    labels = _read(settings.label_report_path)
    if labels:
        audit = labels.get("audit") or {}
        iou = f", label IoU vs truth {audit['mean_iou_accepted']} (accepted)" if audit.get("mean_iou_accepted") else ""
        lines.append(f"labels:  {labels['accepted']}/{labels['images']} accepted by {labels['labeller']}{iou}; "
                     f"review {labels['review_path']}")
        teachers = labels.get("teachers") or {}
        if teachers:
            lines.append("teachers: " + ", ".join(f"{name} drew {t['labels']} ({t['accepted']} accepted"
                                                  + (f", IoU vs truth {t['mean_iou_accepted']}" if t.get("mean_iou_accepted") else "")
                                                  + ")" for name, t in teachers.items()))
    splits = _read(settings.split_report_path)
    if splits:
        lines.append(f"splits:  images {({k: sum(v.values()) for k, v in splits['counts'].items()})}, "
                     f"products {splits['products']}")
    train = _read(settings.train_report_path)
    if train:
        # What the encoder started from (imagenet | npm | none | path); older reports only say pretrained or not.
        used = train.get("encoder_weights_used") or ("pretrained" if train.get("pretrained_encoder") else "none")
        asked = train.get("encoder_weights_requested")
        lines.append(f"student: val mean IoU {train['best_val_mean_iou']}, {train['params'] / 1e6:.2f} M params, "
                     f"encoder weights {used}{f' (asked: {asked})' if asked and asked != used else ''}, "
                     f"models:/{train['model_name']}/{train['model_version']} -> {train['model_path']}")
    return lines


def _evaluation_lines(settings: Settings) -> list[str]:
    """Test-split figures (data/evaluation/report.json), TFLite variants, and the registry's champion."""
    lines = []
    evaluation = _read(settings.evaluation_report_path)
    if evaluation:
        s = evaluation["student"]
        truth = f", {s['truth_mean_iou']:.3f} vs truth" if s.get("truth_mean_iou") is not None else ""
        lines.append(f"test:    v{evaluation['model_version']} on {evaluation['test_images']} images: mean IoU "
                     f"{s['test_mean_iou']:.3f} vs labels{truth}; box mAP@0.5 {s['box_map50']}; Keras "
                     f"{s['size_mb']} MB, {s['latency_ms']:.2f} ms/image; "
                     f"report {settings.evaluation_html_path}")
    export = _read(settings.export_report_path)
    if export:
        variants = "; ".join(f"{v} {d['size_mb']:.2f} MB {d['latency_ms']['median']:.2f} ms IoU {d['mean_iou']:.3f}"
                             f"{'' if d['fit'] else ' (unfit)'}" for v, d in export["variants"].items())
        lines.append(f"tflite:  v{export['model_version']}: {variants} -> {settings.tflite_dir}")
    champion = _champion(settings)
    if champion:
        lines.append(f"champion: {champion}")
    return lines


def _champion(settings: Settings) -> str | None:
    """``models:/<name>/<version>`` holding the champion alias; None without a registry (or champion)."""
    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        return None  # no local store yet: do not create one just to look
    from mlflow import MlflowClient

    from release.registry import current_champion

    name = settings.config.mlflow.registered_model
    version = current_champion(MlflowClient(uri), name)
    return f"models:/{name}/{version} (load it: mlflow.tensorflow.load_model('models:/{name}@champion'))" if version else None
