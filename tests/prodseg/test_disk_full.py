"""Out of space on a real small filesystem (a tmpfs): one clear line, exit 1, and a stage's outputs
all as they were; the crawl's catalog write fails the same clean way."""

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from prodseg.settings import REPO_ROOT
from tests.conftest import make_settings
from tests.prodseg.test_locks import label_env

PAGE = os.sysconf("SC_PAGE_SIZE")


@pytest.fixture
def small_fs(tmp_path):
    """A 64 MB tmpfs, unmounted after the test."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(fs: Path, leave: int) -> None:
    """Take all the space of ``fs`` but ``leave`` bytes."""
    st = os.statvfs(fs)
    with open(fs / "filler", "wb") as fh:
        os.posix_fallocate(fh.fileno(), 0, st.f_bavail * st.f_frsize - leave)


def pages(path: Path) -> int:
    return -(-path.stat().st_size // PAGE) * PAGE


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_labelling_out_of_space_says_so_in_one_line_and_keeps_every_output_as_it_was(
        small_fs, tmp_path, crawled_data, faulty_shop):
    data = small_fs / "data"
    shutil.copytree(crawled_data / "raw", data / "raw")
    env = {**label_env(tmp_path, faulty_shop), "PRODSEG_DATA": str(data)}
    command = [sys.executable, "-m", "commands.cli", "label", "--min-score", "0.9"]
    assert subprocess.run(command[:-2], cwd=REPO_ROOT, env=env, capture_output=True).returncode == 0
    labels = data / "labels"
    before = snapshot(labels)

    # Room for the lock's note and the audit files, not for everything after them: the stage fails
    # after some outputs are written, and none of them may replace an old one.
    fill(small_fs, PAGE + pages(labels / "audit.parquet") + pages(labels / "audit.json"))
    full = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert full.returncode == 1, full.stderr[-3000:]
    assert "Traceback" not in full.stderr
    (line,) = [line for line in full.stderr.splitlines() if line.startswith("prodseg:")]
    assert line.startswith("prodseg: no space left on device writing " + str(labels)), line
    assert not line.endswith(("audit.parquet", "audit.json")), "nothing was written before the failure"
    assert snapshot(labels) == before    # no output replaced, no temp file left

    (small_fs / "filler").unlink()
    assert subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True).returncode == 0
    after = pd.read_parquet(labels / "labels.parquet")
    assert (after["score"] < 0.9).sum() and not after.loc[after["score"] < 0.9, "accepted"].any()


def test_a_catalog_write_out_of_space_fails_cleanly_and_keeps_the_old_catalog(
        small_fs, tmp_path, crawled_data, faulty_shop):
    from scrapers.crawl import build_catalog

    shutil.copytree(crawled_data.parent / "var" / "crawl", tmp_path / "var" / "crawl")   # the crawl's journal
    settings = make_settings(tmp_path, faulty_shop, paths={"data": str(small_fs / "data")})
    settings.catalog_path.parent.mkdir(parents=True)
    older = pd.read_parquet(crawled_data / "raw" / "catalog.parquet").head(3)   # an earlier crawl's catalog
    older.to_parquet(settings.catalog_path, index=False)
    before = snapshot(settings.raw_dir)

    fill(small_fs, 0)
    with pytest.raises(OSError) as failure:
        build_catalog(settings)
    assert failure.value.errno == errno.ENOSPC and failure.value.filename == str(settings.catalog_path)
    assert snapshot(settings.raw_dir) == before

    (small_fs / "filler").unlink()
    assert len(build_catalog(settings)[0]) > len(older)
