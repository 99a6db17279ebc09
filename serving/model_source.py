"""Which model file the server runs: the registry's champion (first fit variant of ``serve.prefer``) or a path.

The champion's TFLite files are its MLflow run's artifacts ``tflite/student-<variant>.tflite``;
the Keras fallback is the registered model itself. Downloads are cached under
``<var>/serve/models/<name>-v<version>/`` and written atomically.

The model's class list comes with it: the version's tag ``classes`` (else its artifact ``classes.json``), or
for a file the ``<file>.classes.json`` (else ``classes.json``) beside it. A model with none is served as
``class-1..N`` with a warning (``served_classes``).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from prodseg.classes import ClassList
from prodseg.settings import Settings
from release.model_classes import CLASSES_TAG, legacy_classes, version_classes
from release.tflite import ARTIFACT_DIR, classes_beside, tflite_name

log = logging.getLogger(__name__)
KERAS = "keras"


class ModelUnavailable(RuntimeError):
    """No model to serve: no champion, no usable variant, or a model path that is not there."""


class NoAlias(ModelUnavailable):
    """The registry has no such alias (or no store at all): nothing to load, as opposed to a load that failed."""


@dataclass(frozen=True)
class ModelSource:
    path: Path                      # the local .tflite or .keras file
    variant: str                    # int8 | fp16 | fp32 | keras | tflite (a file of unknown variant)
    name: str                       # the registered model's name, or the file name
    origin: str                     # where it came from, for people: a models:/ URI and store, or the path
    version: str | None = None      # registry version; None for an explicit path
    run_id: str | None = None
    aliases: tuple[str, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)
    sizes_mb: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    classes: ClassList | None = None   # None: the model carries no list (registered before models did)
    classes_from: str | None = None    # where the list came from, for people
    # The file as resolved, read once here: a key read later would see a replaced file in both sources.
    stamp: tuple[int, ...] = field(init=False, compare=False)

    def __post_init__(self):
        stat = self.path.stat()
        object.__setattr__(self, "stamp", (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))

    @property
    def label(self) -> str:
        version = f" v{self.version}" if self.version else ""
        return f"{self.name}{version} ({self.variant})"

    @property
    def key(self) -> tuple:
        """Identity for reloads: same key, same model (a file copied over, moved over or touched changes its stamp;
        a new class list beside it changes the classes)."""
        return self.origin, self.version, self.variant, self.stamp, self.classes

    def describe(self) -> dict:
        return {"name": self.name, "version": self.version, "variant": self.variant, "aliases": list(self.aliases),
                "origin": self.origin, "run_id": self.run_id, "file": self.path.name,
                "file_bytes": self.stamp[1], "metrics": self.metrics, "sizes_mb": self.sizes_mb,
                "tags": self.tags, "classes_from": self.classes_from}


def resolve(settings: Settings) -> ModelSource:
    """``serve.model`` when set, else the registry's champion."""
    explicit = settings.config.serve.model
    return from_path(Path(explicit)) if explicit else champion(settings)


def from_path(path: Path) -> ModelSource:
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise ModelUnavailable(f"model file {path} does not exist")
    if path.suffix == ".keras":
        variant = KERAS
    elif path.suffix == ".tflite":
        variant = next((v for v in ("int8", "fp16", "fp32") if path.name == tflite_name(v)), "tflite")
    else:
        raise ModelUnavailable(f"model file {path} is neither .tflite nor .keras")
    beside = next((p for p in (classes_beside(path), path.parent / "classes.json") if p.is_file()), None)
    return ModelSource(path, variant, path.name, origin=str(path), classes=beside and _load_classes(beside),
                       classes_from=beside and str(beside))


def served_classes(source: ModelSource, outputs: int) -> ClassList:
    """The class list answers are named from: the model's own, or ``class-1..N`` (warned) for one without."""
    if source.classes is None:
        log.warning("%s carries no class list (made before models carried one): its classes are served as "
                    "class-1..%d; export it again or pass a .classes.json beside the file", source.label, outputs - 1)
        return legacy_classes(outputs)
    if len(source.classes) != outputs:
        raise ModelUnavailable(f"{source.label}: its class list ({source.classes_from}) names {len(source.classes)} "
                               f"classes with background, the model has {outputs} outputs")
    return source.classes


def _load_classes(path: Path) -> ClassList:
    try:
        return ClassList.load(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelUnavailable(f"the model's class list {path} is unreadable: {exc}") from None


def _floats(items: dict[str, str]) -> dict[str, float]:
    out = {}
    for key, value in items.items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def champion(settings: Settings) -> ModelSource:
    from release.registry import CHAMPION  # noqa: PLC0415

    return registered(settings, CHAMPION)


def registered(settings: Settings, alias: str) -> ModelSource:
    """The version the registry's ``alias`` points at, as its first servable variant of ``serve.prefer``."""
    from mlflow import MlflowClient  # noqa: PLC0415 - MLflow is only needed when serving from the registry
    from mlflow.exceptions import MlflowException  # noqa: PLC0415

    uri = settings.mlflow_tracking_uri
    name = settings.config.mlflow.registered_model
    missing = NoAlias(f"no {alias} in {uri}; run `make demo` or pass --model")
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        raise missing  # do not create an empty store just to find it empty
    client = MlflowClient(uri)
    try:
        version = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        raise missing from None
    skipped = []
    for variant in settings.config.serve.prefer:
        try:
            path = _fetch(client, uri, version, variant, settings.var_dir / "serve" / "models")
        except (MlflowException, OSError, LookupError) as exc:
            skipped.append(f"{variant}: {exc}")
            continue
        if skipped:
            log.info("%s v%s: serving %s; skipped %s", alias, version.version, variant, "; ".join(skipped))
        return _registered(client, uri, version, variant, path)
    raise ModelUnavailable(f"{alias} v{version.version} of {name} in {uri} has no servable variant of "
                           f"{list(settings.config.serve.prefer)}: {'; '.join(skipped)}")


def _fetch(client, uri: str, version, variant: str, cache_root: Path) -> Path:
    """The local file of one variant of a registered version; LookupError says why there is none."""
    if str(version.tags.get(f"tflite.{variant}.fit", "")).lower() == "false":
        raise LookupError("marked unfit")
    cache = cache_root / f"{version.name}-v{version.version}"
    if variant == KERAS:
        return _download_keras(client, uri, version.name, str(version.version), cache)
    artifact = f"{ARTIFACT_DIR}/{tflite_name(variant)}"
    if artifact not in {a.path for a in client.list_artifacts(version.run_id, ARTIFACT_DIR)}:
        raise LookupError(f"no {artifact} artifact")
    return _download(cache / tflite_name(variant), lambda tmp: client.download_artifacts(version.run_id, artifact, tmp))


def _registered(client, uri: str, version, variant: str, path: Path) -> ModelSource:
    """The source with what the registry says about the version: run metrics, version tags, sizes, classes."""
    from mlflow.exceptions import MlflowException  # noqa: PLC0415

    try:
        classes = version_classes(client, version)
    except (MlflowException, ValueError, KeyError, TypeError, OSError) as exc:
        raise ModelUnavailable(f"{version.name} v{version.version}: unreadable class list: {exc}") from None
    where = None if classes is None else (f"tag {CLASSES_TAG}" if CLASSES_TAG in version.tags
                                          else "artifact classes.json")
    tags = dict(version.tags)
    numbers = _floats(tags)
    sizes = {k.removeprefix("size_mb."): v for k, v in numbers.items() if k.startswith("size_mb.")}
    metrics = {**client.get_run(version.run_id).data.metrics,
               **{k: v for k, v in numbers.items() if not k.startswith("size_mb.")}}
    return ModelSource(path, variant, version.name, origin=f"models:/{version.name}/{version.version} in {uri}",
                       version=str(version.version), run_id=version.run_id, aliases=tuple(sorted(version.aliases)),
                       metrics=metrics, sizes_mb=sizes, tags=tags, classes=classes, classes_from=where)


def _download(target: Path, fetch) -> Path:
    """``fetch(dir)`` downloads into a temp folder beside ``target``; the file is then renamed into place."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".download-"))
    try:
        os.replace(fetch(str(tmp)), target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _download_keras(client, uri: str, name: str, version: str, cache: Path) -> Path:
    import mlflow  # noqa: PLC0415

    def fetch(tmp: str) -> str:
        # Not models:/name/version: MLflow resolves that through the global registry URI, not ours.
        where = client.get_model_version_download_uri(name, version)
        folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=where, dst_path=tmp, tracking_uri=uri,
                                                          registry_uri=uri))
        found = sorted(folder.rglob("*.keras"))
        if not found:
            raise OSError(f"models:/{name}/{version} holds no .keras file")
        return str(found[0])

    return _download(cache / "student.keras", fetch)
