"""Versions: what each Dagster materialization records, computed the way DVC sees the same stage.

* code version: a hash of the files the stage's ``dvc.yaml`` ``deps`` name outside ``data/`` (its code
  and config files), so Dagster marks an asset stale for the same code change that makes DVC rerun it;
  the stage's dependencies are declared once, in ``dvc.yaml``.
* params version: a hash of the resolved settings sections the stage's ``params`` name (after env
  overrides and Dagster run config, which DVC never sees).
* data version: a hash of the files that define an asset's content (not its timings or logs), so a
  re-run that changes nothing hands downstream assets the same version.
* DVC hash of each output, computed as DVC 3 does (md5 per file; a directory is the md5 of the sorted
  JSON list of its files, suffixed ``.dir``), and whether ``dvc.lock`` holds that hash.

Plain functions, except ``reuse_previous`` which reads the Dagster instance.
"""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import dagster as dg
import yaml

from prodseg.settings import REPO_ROOT, Settings

CHUNK = 1 << 20
DATA_VERSION_TAG = "dagster/data_version"  # where Dagster stores a materialization's data version


@lru_cache(maxsize=None)
def _dvc_yaml(repo_root: Path) -> dict:
    return yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]


def dvc_stage(stage: str, repo_root: Path = REPO_ROOT) -> dict:
    return _dvc_yaml(repo_root)[stage]


def _entry_path(entry) -> str:
    """A dvc.yaml list entry is a path, or a one-key mapping of a path to its options."""
    return entry if isinstance(entry, str) else next(iter(entry))


def stage_outs(stage: str, repo_root: Path = REPO_ROOT) -> list[str]:
    spec = dvc_stage(stage, repo_root)
    return [_entry_path(e) for kind in ("outs", "metrics", "plots") for e in spec.get(kind, [])]


def _is_data(path: str) -> bool:
    return path == "data" or path.startswith("data/")


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def code_version(stage: str, repo_root: Path = REPO_ROOT) -> str:
    """Hash of the stage's code and config dependencies (``dvc.yaml`` deps outside ``data/``)."""
    digest = hashlib.sha256()
    for dep in sorted(_entry_path(d) for d in dvc_stage(stage, repo_root).get("deps", [])):
        if _is_data(dep):
            continue
        for file in _files(repo_root / dep):
            digest.update(file.relative_to(repo_root).as_posix().encode() + b"\0")
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def _param_names(stage: str, repo_root: Path) -> set[str]:
    """The settings keys a stage's ``params`` name, from params.yaml (``train``) or another file
    (``config/defaults.yaml: [train]``)."""
    names = set()
    for entry in dvc_stage(stage, repo_root).get("params", []):
        names.update([entry] if isinstance(entry, str) else next(iter(entry.values())))
    return names


def params_version(settings: Settings, stage: str) -> str:
    """Hash of the resolved settings the stage's ``params`` name (e.g. ``train`` or ``label.min_score``)."""
    config = settings.config.model_dump(mode="json")
    values = {}
    for name in sorted(_param_names(stage, settings.repo_root)):
        value = config
        for part in name.split("."):
            value = value[part]
        values[name] = value
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]


def data_version(*paths: Path) -> str:
    """Hash of the files that define an asset's content; missing files hash as absent."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(Path(path).name).encode() + b"\0")
        digest.update(file_md5(path).encode() if Path(path).exists() else b"absent")
    return digest.hexdigest()[:16]


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def dvc_md5(path: Path) -> str | None:
    """The hash DVC 3 records for an output: a file's md5, or ``<md5 of the file list>.dir``."""
    path = Path(path)
    if path.is_file():
        return file_md5(path)
    if not path.is_dir():
        return None
    entries = [{"md5": file_md5(f), "relpath": f.relative_to(path).as_posix()} for f in _files(path)]
    listing = json.dumps(sorted(entries, key=lambda e: e["relpath"]), sort_keys=True).encode()
    return hashlib.md5(listing).hexdigest() + ".dir"


def out_path(settings: Settings, out: str) -> Path:
    """Where a ``dvc.yaml`` output is for these settings (``data/`` follows ``paths.data``)."""
    if _is_data(out):
        return settings.data_dir / Path(out).relative_to("data")
    return settings.repo_root / out


def _locked_md5s(settings: Settings, stage: str) -> dict[str, str]:
    lock = settings.repo_root / "dvc.lock"
    if not lock.exists():
        return {}
    locked = (yaml.safe_load(lock.read_text()) or {}).get("stages", {}).get(stage, {})
    return {o["path"]: o.get("md5") for o in locked.get("outs", [])}


def dvc_outs_status(settings: Settings, stage: str) -> dict[str, dict]:
    """Each output of the stage: its DVC hash now, and whether ``dvc.lock`` records the same."""
    in_workspace = settings.data_dir.resolve() == (settings.repo_root / "data").resolve()
    locked = _locked_md5s(settings, stage)
    status = {}
    for out in stage_outs(stage, settings.repo_root):
        md5 = dvc_md5(out_path(settings, out))
        if not in_workspace:
            state = "outside the DVC workspace (paths.data is not <repo>/data)"
        elif out not in locked:
            state = "not in dvc.lock (run `make dvc-commit` to record it)"
        elif locked[out] == md5:
            state = "matches dvc.lock"
        else:
            state = "differs from dvc.lock (run `make dvc-commit` to record it)"
        status[out] = {"md5": md5, "status": state}
    return status


def stage_metadata(settings: Settings, stage: str) -> dict:
    """The versions an asset's materialization records beside its own figures."""
    return {
        "dvc_stage": stage,
        "params_version": params_version(settings, stage),
        "dvc_outs": dg.MetadataValue.json(dvc_outs_status(settings, stage)),
    }


def _latest_data_version(instance: dg.DagsterInstance, key: dg.AssetKey) -> str | None:
    event = instance.get_latest_materialization_event(key)
    return None if event is None else event.asset_materialization.tags.get(DATA_VERSION_TAG)


def reuse_previous(context: dg.AssetExecutionContext, settings: Settings, stage: str,
                   current_data_version: str, force: bool = False) -> dg.MaterializeResult | None:
    """The previous materialization again, when nothing it was computed from has changed since.

    Unchanged means: same code version, same params version, every upstream asset still at the data
    version this asset last read, and its own outputs still what it wrote (``current_data_version``,
    hashed from the files on disk now). Returns None when any of that differs or is unknown, or ``force``.
    """
    if force:
        return None
    key = context.asset_key
    previous = context.instance.get_latest_materialization_event(key)
    provenance = context.get_asset_provenance(key)
    if previous is None or provenance is None:
        return None
    materialization = previous.asset_materialization
    metadata = materialization.metadata
    current_code = context.assets_def.code_versions_by_key.get(key)
    upstream = set(context.assets_def.asset_deps.get(key, set()))
    unchanged = (
        provenance.code_version == current_code
        and getattr(metadata.get("params_version"), "value", None) == params_version(settings, stage)
        and set(provenance.input_data_versions) == upstream
        and all(_latest_data_version(context.instance, dep) == version.value
                for dep, version in provenance.input_data_versions.items())
        and materialization.tags.get(DATA_VERSION_TAG) == current_data_version
    )
    if not unchanged:
        return None
    reason = (f"code {current_code}, params and inputs unchanged since run {previous.run_id[:8]}: "
              f"kept its result instead of recomputing (run config force=true recomputes)")
    context.log.info(reason)
    # The previous figures stay; the DVC status is today's (dvc.lock may have moved since).
    return dg.MaterializeResult(metadata={**metadata, **stage_metadata(settings, stage), "reused": reason},
                                data_version=dg.DataVersion(current_data_version))
