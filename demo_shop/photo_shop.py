"""A shop built from a folder of real photos with true masks (e.g. ../shared/realphotos), to measure the
pipeline on photos that are not the demo's renders.

The folder: ``images/NAME.jpg``, ``masks/NAME.png`` (0/255, 255 = the product), ``meta.csv`` with
``name,class,kind`` (``class`` the shop's word, ``kind`` studio | room). One product per photo.

Its HTML is deliberately unlike the demo shop's: no JSON-LD; OpenGraph product tags and schema.org
microdata instead, listings at ``/shop/<category-slug>?page=N``, products at ``/item/<id>.html``,
breadcrumbs, prices written ``$349.99`` or ``349,99 €``. The layout under ``shop_dir`` is the demo
shop's (``site/`` served by ``demo_shop.server``, ``truth/images.parquet`` kept aside, ``server.json``,
``shop.json``), so the crawl, the label audit and evaluation's truth scores read it unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import jinja2
import pandas as pd

from demo_shop.generate import ShopSummary, fresh_tmp, stamped_summary, swap_in
from prodseg.classes import slug
from prodseg.fileio import atomic_write_json, atomic_write_parquet, sha256_file

log = logging.getLogger(__name__)

SHOP_NAME = "Hollow Oak Furniture"
KINDS = ("studio", "room")
_ADJECTIVES = ("Nordic", "Classic", "Urban", "Coastal", "Modern", "Rustic", "Loft", "Heritage")
_TEMPLATES = Path(__file__).parent / "templates" / "photo"
_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                                undefined=jinja2.StrictUndefined)


class PhotoFolderError(ValueError):
    """The photo folder is not laid out as images/NAME.jpg, masks/NAME.png, meta.csv name,class,kind."""


@dataclass
class PhotoProduct:
    name: str            # the photo's NAME
    word: str            # the shop's category word (meta.csv class)
    kind: str            # studio | room
    index: int

    @property
    def item_id(self) -> str:
        return f"HO-{self.index:04d}"

    @property
    def url(self) -> str:
        return f"/item/{self.item_id.lower()}.html"

    @property
    def image_url(self) -> str:
        return f"/media/{self.name}.jpg"

    @property
    def category_slug(self) -> str:
        return slug(self.word)

    @property
    def category(self) -> str:
        return self.word.capitalize()

    def _digest(self) -> int:
        return int(hashlib.sha256(self.name.encode()).hexdigest()[:8], 16)

    @property
    def title(self) -> str:
        return f"{_ADJECTIVES[self._digest() % len(_ADJECTIVES)]} {self.category} {self.index}"

    @property
    def price(self) -> float:
        return 49 + self._digest() % 1200 + 0.99

    @property
    def currency(self) -> str:
        return "USD" if self.index % 2 else "EUR"  # both ways of writing a price in every category

    @property
    def price_text(self) -> str:
        if self.currency == "USD":
            return f"${self.price:,.2f}"
        return f"{self.price:,.2f}".replace(",", " ").replace(".", ",") + " €"


def read_photo_folder(photos_dir: Path) -> list[PhotoProduct]:
    """The folder's photos in meta.csv order; a clear error for a missing file, column or kind."""
    photos_dir = Path(photos_dir)
    meta_path = photos_dir / "meta.csv"
    if not meta_path.exists():
        raise PhotoFolderError(f"no meta.csv in {photos_dir} (expected images/, masks/, meta.csv name,class,kind)")
    meta = pd.read_csv(meta_path, dtype=str)
    missing = {"name", "class", "kind"} - set(meta.columns)
    if missing:
        raise PhotoFolderError(f"{meta_path}: missing columns {sorted(missing)}")
    products = []
    for i, row in enumerate(meta.to_dict("records"), start=1):
        name, word, kind = row["name"], row["class"], row["kind"]
        if kind not in KINDS:
            raise PhotoFolderError(f"{meta_path} line {i + 1}: kind {kind!r} is not one of {KINDS}")
        for path in (photos_dir / "images" / f"{name}.jpg", photos_dir / "masks" / f"{name}.png"):
            if not path.exists():
                raise PhotoFolderError(f"{meta_path} line {i + 1}: {path} is missing")
        products.append(PhotoProduct(name, word.strip(), kind, i))
    if not products:
        raise PhotoFolderError(f"{meta_path} lists no photos")
    return products


def _params(photos_dir: Path, per_page: int, class_of: Callable[[str], str | None],
            products: list[PhotoProduct]) -> dict:
    here = Path(__file__)
    code = hashlib.sha256(b"".join(p.read_bytes() for p in [here, *sorted(_TEMPLATES.glob("*.html"))]))
    return {"code": code.hexdigest()[:12], "photos": str(Path(photos_dir).resolve()),
            "meta": sha256_file(Path(photos_dir) / "meta.csv"), "per_page": per_page,
            "classes": {w: class_of(w) for w in sorted({p.word for p in products})}}


def build_photo_shop(photos_dir: Path, shop_dir: Path, per_page: int,
                     class_of: Callable[[str], str | None]) -> ShopSummary:
    """Build the shop into ``shop_dir`` (skipped when the same folder and parameters are already there).

    ``class_of`` maps a shop word to the class the truth table records (the site config's mapping); a
    word that maps to none keeps its own slug there, so its photos are still scored once it has a class.
    """
    shop_dir = Path(shop_dir)
    products = read_photo_folder(photos_dir)
    params = _params(photos_dir, per_page, class_of, products)
    existing = stamped_summary(shop_dir, params)
    if existing is not None:
        return existing
    tmp = fresh_tmp(shop_dir)
    (tmp / "site" / "media").mkdir(parents=True)
    (tmp / "truth" / "masks").mkdir(parents=True)
    rows = []
    for p in products:
        served = tmp / "site" / p.image_url.lstrip("/")
        shutil.copyfile(Path(photos_dir) / "images" / f"{p.name}.jpg", served)
        shutil.copyfile(Path(photos_dir) / "masks" / f"{p.name}.png", tmp / "truth" / "masks" / f"{p.name}.png")
        rows.append({"sku": p.item_id, "name": p.name, "shop_word": p.word,
                     "class_name": params["classes"][p.word] or p.category_slug, "shot": p.kind,
                     "file": served.name, "url": p.image_url, "image_sha256": sha256_file(served),
                     "mask": f"masks/{p.name}.png"})
    rewrites = _write_pages(tmp / "site", products, per_page)
    atomic_write_json(tmp / "server.json", {"rewrites": rewrites})
    atomic_write_parquet(tmp / "truth" / "images.parquet", pd.DataFrame(rows))
    summary = swap_in(tmp, shop_dir, params, ShopSummary(str(shop_dir), len(products), len(rows), True))
    log.info("photo shop: %d products from %s in %s", len(products), photos_dir, shop_dir)
    return summary


def _render(site: Path, rel: str, template: str, **context) -> None:
    out = site / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_templates.get_template(template).render(shop_name=SHOP_NAME, **context))


def _listing_url(category_slug: str, page: int) -> str:
    return f"/shop/{category_slug}" if page == 1 else f"/shop/{category_slug}?page={page}"


def _write_pages(site: Path, products: list[PhotoProduct], per_page: int) -> dict[str, str]:
    """Every page; returns the server's rewrites (listing URLs, query included -> the file serving it)."""
    categories: dict[str, list[PhotoProduct]] = {}
    for p in products:
        categories.setdefault(p.category_slug, []).append(p)
    nav = [{"name": members[0].category, "url": _listing_url(s, 1)} for s, members in categories.items()]
    _render(site, "index.html", "index.html", categories=nav)
    rewrites = {}
    for category_slug, members in categories.items():
        pages = -(-len(members) // per_page)
        for page in range(1, pages + 1):
            rel = f"shop/{category_slug}/page-{page}.html"
            rewrites[_listing_url(category_slug, page)] = f"/{rel}"
            _render(site, rel, "listing.html", categories=nav, category=members[0].category, page=page,
                    pages=pages, products=members[(page - 1) * per_page: page * per_page],
                    prev_url=_listing_url(category_slug, page - 1) if page > 1 else None,
                    next_url=_listing_url(category_slug, page + 1) if page < pages else None)
    for p in products:
        _render(site, p.url.lstrip("/"), "item.html", categories=nav, p=p,
                category_url=_listing_url(p.category_slug, 1))
    return rewrites
