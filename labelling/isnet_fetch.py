"""``prodseg teacher fetch isnet``: the IS-Net ONNX models, through npm, never committed.

The npm package ``@imgly/background-removal-data`` (AGPL-3.0) carries IS-Net salient-object models as
ONNX, split into chunks that ``dist/resources.json`` lists; each chunk is named by its own sha256. The
pinned tarball is checked against its sha256, every chunk against its name, and the model against the
size the package states, before ``<teachers>/isnet-<variant>.onnx`` is written (atomically), with the
package's license beside it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tarfile
from pathlib import Path

from prodseg.fileio import atomic_write_bytes, atomic_write_json
from prodseg.npm_package import FetchError, NpmPackage, RegistryUnreachable, pinned_tarball

log = logging.getLogger(__name__)

PACKAGE = NpmPackage(name="@imgly/background-removal-data", version="1.4.5",
                     tarball="imgly-background-removal-data-1.4.5.tgz",
                     sha256="ca7789abb39370727c9a098310b53bce41518d200000423c7107f8c01bbce946", license="AGPL-3.0")
VARIANTS = ("small", "medium")
__all__ = ["FetchError", "RegistryUnreachable", "PACKAGE", "VARIANTS", "fetch_isnet", "model_path"]


def model_path(teachers_dir: Path, variant: str) -> Path:
    return Path(teachers_dir) / f"isnet-{variant}.onnx"


def _assemble(tarball: Path, variant: str) -> bytes:
    """The model's bytes from the tarball's chunks, each checked against the hash that names it."""
    with tarfile.open(tarball, "r:gz") as tar:
        resources = json.load(tar.extractfile("package/dist/resources.json"))
        entry = resources.get(f"/models/{variant}")
        if entry is None:
            raise FetchError(f"{PACKAGE.spec} has no /models/{variant} (has {sorted(resources)})")
        parts = []
        for chunk in entry["chunks"]:
            data = tar.extractfile(f"package/dist/{chunk['hash']}").read()
            start, end = chunk["offsets"]
            if hashlib.sha256(data).hexdigest() != chunk["hash"] or len(data) != end - start:
                raise FetchError(f"chunk {chunk['hash'][:12]} of /models/{variant} is corrupt")
            parts.append(data)
    model = b"".join(parts)
    if len(model) != entry["size"]:
        raise FetchError(f"/models/{variant} is {len(model)} bytes, the package says {entry['size']}")
    return model


def _license_text(tarball: Path) -> bytes:
    with tarfile.open(tarball, "r:gz") as tar:
        return tar.extractfile("package/LICENSE.md").read()


def fetch_isnet(teachers_dir: Path, variant: str = "medium") -> Path:
    """``<teachers_dir>/isnet-<variant>.onnx``, fetched and checked if not there yet (then a no-op)."""
    if variant not in VARIANTS:
        raise FetchError(f"unknown IS-Net variant {variant!r}; choose from {', '.join(VARIANTS)}")
    teachers_dir = Path(teachers_dir)
    target = model_path(teachers_dir, variant)
    manifest_path = target.with_suffix(".json")
    if target.exists() and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("size") == target.stat().st_size:
            log.info("IS-Net %s already fetched: %s", variant, target)
            return target
    tarball = pinned_tarball(PACKAGE, teachers_dir)
    model = _assemble(tarball, variant)
    atomic_write_bytes(teachers_dir / f"isnet-{variant}.LICENSE.md", _license_text(tarball))
    atomic_write_bytes(target, model)
    atomic_write_json(manifest_path, {
        "package": PACKAGE.name, "version": PACKAGE.version, "license": PACKAGE.license,
        "tarball_sha256": PACKAGE.sha256,
        "variant": variant, "size": len(model), "sha256": hashlib.sha256(model).hexdigest()})
    log.info("IS-Net %s: %s (%.1f MB, %s, license %s beside it)", variant, target, len(model) / 1e6, PACKAGE.license,
             target.with_suffix("").name + ".LICENSE.md")
    return target
