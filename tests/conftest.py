"""Shared fixtures: a generated demo shop served on 127.0.0.1 by the test itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from demo_shop.generate import generate_shop
from demo_shop.server import running_shop
from prodseg.settings import Settings

# A tiny shop with every planted fault; enough products for each fault to have its own.
SHOP = {"products": 20, "seed": 11, "faults": True, "per_page": 2}
# Enough to run every training stage for real, small enough for CI.
TINY_TRAIN = {"image_size": 64, "width": 0.35, "decoder_filters": [32, 24, 16, 16], "encoder_weights": "none",
              "batch_size": 8, "epochs_frozen": 1, "epochs_finetune": 1, "augment": True}


def make_settings(root: Path, shop_dir: Path, port: int = 8765, **sections) -> Settings:
    """Settings isolated from the developer's env, writing under ``root``."""
    overrides = {
        "paths": {"var": str(root / "var"), "data": str(root / "data"), "shop": str(shop_dir)},
        "shop": {**SHOP, "port": port},
        "crawl": {"progress_every": 0, "download_timeout": 5, "concurrency": 8},
    }
    for section, values in sections.items():
        overrides[section] = {**overrides.get(section, {}), **values}
    return Settings.load(overrides, environ={})


@pytest.fixture(scope="session")
def faulty_shop(tmp_path_factory) -> Path:
    """The generated shop folder (generated once per test session)."""
    shop_dir = tmp_path_factory.mktemp("demo") / "shop"
    settings = make_settings(shop_dir.parent, shop_dir)
    generate_shop(shop_dir, settings.config.shop)
    return shop_dir


@pytest.fixture(scope="session")
def crawled_data(faulty_shop, tmp_path_factory) -> Path:
    """A data folder holding the crawl of the faulty shop (crawled once per session; copy before writing)."""
    from scrapers.crawl import run_crawl

    root = tmp_path_factory.mktemp("crawled")
    with running_shop(faulty_shop) as server:
        run_crawl(make_settings(root, faulty_shop, port=server.server_address[1]))
    return root / "data"


@pytest.fixture(scope="session")
def labelled(crawled_data, faulty_shop, tmp_path_factory):
    """(root, its LabelReport): root's data/ and var/ hold the crawl labelled by GrabCut (labelled once per
    session; copy before writing: ``copy_labelled``)."""
    from labelling.run import run_labelling

    root = tmp_path_factory.mktemp("labelled")
    shutil.copytree(crawled_data / "raw", root / "data" / "raw")
    return root, run_labelling(make_settings(root, faulty_shop, label={"labeller": "grabcut"}), progress=False)


@pytest.fixture(scope="session")
def labelled_root(labelled) -> Path:
    return labelled[0]


def copy_labelled(labelled_root: Path, root: Path) -> None:
    """The session's labelled data/ and var/ (the label journal) under ``root``, to write into."""
    for folder in ("data", "var"):
        shutil.copytree(labelled_root / folder, root / folder)


@pytest.fixture
def split_settings(tmp_path, labelled_root, faulty_shop):
    """Settings over a copy of the crawl, labelled (GrabCut) and split, with the tiny training config."""
    from training.split import run_split

    copy_labelled(labelled_root, tmp_path)
    settings = make_settings(tmp_path, faulty_shop, label={"labeller": "grabcut"}, train=TINY_TRAIN,
                             mlflow={"tracking_uri": f"sqlite:///{tmp_path}/mlflow.db"})
    run_split(settings)
    return settings


@pytest.fixture
def shop_server(faulty_shop):
    """A fresh server per test, so fail-once pages fail again and request logs start empty."""
    with running_shop(faulty_shop) as server:
        yield server
