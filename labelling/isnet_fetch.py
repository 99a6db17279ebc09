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
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from prodseg.fileio import atomic_write_bytes, atomic_write_json, sha256_file

log = logging.getLogger(__name__)

PACKAGE = "@imgly/background-removal-data"
VERSION = "1.4.5"
TARBALL = "imgly-background-removal-data-1.4.5.tgz"
TARBALL_SHA256 = "ca7789abb39370727c9a098310b53bce41518d200000423c7107f8c01bbce946"
LICENSE = "AGPL-3.0"
VARIANTS = ("small", "medium")
NPM_TIMEOUT_S = 600


class FetchError(RuntimeError):
    """The model could not be fetched; the message says why and what to do."""


class RegistryUnreachable(FetchError):
    """npm is missing or the npm registry did not answer (as opposed to an answer that fails its checks)."""


def model_path(teachers_dir: Path, variant: str) -> Path:
    return Path(teachers_dir) / f"isnet-{variant}.onnx"


def _npm_pack(dest: Path) -> Path:
    """``npm pack`` the pinned version into ``dest`` (npm's own cache makes a second pack local)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RegistryUnreachable("npm is not installed: install Node.js and npm (Debian: apt-get install npm), "
                         "or set label.isnet.weights to an IS-Net ONNX file")
    try:
        done = subprocess.run([npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(dest), "--silent"],
                              capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RegistryUnreachable(f"npm pack {PACKAGE}@{VERSION} timed out after {NPM_TIMEOUT_S} s: the npm registry "
                         "did not answer") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RegistryUnreachable(f"npm pack {PACKAGE}@{VERSION} failed (the registry unreachable?): {' | '.join(tail)}")
    tarball = dest / TARBALL
    if not tarball.exists():
        raise FetchError(f"npm pack wrote no {TARBALL} into {dest}")
    return tarball


def _assemble(tarball: Path, variant: str) -> bytes:
    """The model's bytes from the tarball's chunks, each checked against the hash that names it."""
    with tarfile.open(tarball, "r:gz") as tar:
        resources = json.load(tar.extractfile("package/dist/resources.json"))
        entry = resources.get(f"/models/{variant}")
        if entry is None:
            raise FetchError(f"{PACKAGE}@{VERSION} has no /models/{variant} (has {sorted(resources)})")
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
    teachers_dir.mkdir(parents=True, exist_ok=True)
    tarball = teachers_dir / TARBALL
    if not (tarball.exists() and sha256_file(tarball) == TARBALL_SHA256):
        with tempfile.TemporaryDirectory(dir=teachers_dir) as tmp:
            log.info("fetching %s@%s (%s) with npm pack ...", PACKAGE, VERSION, LICENSE)
            packed = _npm_pack(Path(tmp))
            got = sha256_file(packed)
            if got != TARBALL_SHA256:
                raise FetchError(f"{TARBALL}: sha256 {got} differs from the pinned {TARBALL_SHA256}; "
                                 "not using it (the package was changed or the download corrupted)")
            packed.replace(tarball)
    model = _assemble(tarball, variant)
    atomic_write_bytes(teachers_dir / f"isnet-{variant}.LICENSE.md", _license_text(tarball))
    atomic_write_bytes(target, model)
    atomic_write_json(manifest_path, {
        "package": PACKAGE, "version": VERSION, "license": LICENSE, "tarball_sha256": TARBALL_SHA256,
        "variant": variant, "size": len(model), "sha256": hashlib.sha256(model).hexdigest()})
    log.info("IS-Net %s: %s (%.1f MB, %s, license %s beside it)", variant, target, len(model) / 1e6, LICENSE,
             target.with_suffix("").name + ".LICENSE.md")
    return target
