"""Write the demo shop: photos, HTML pages, robots.txt, sitemap.xml, and the truth kept aside.

Layout under ``shop_dir``:
  site/      what the server serves (pages and images)
  truth/     true masks and tables for audits; never served
  server.json  the server's planted behaviours (fail-once and slow pages, redirects)
  shop.json    the generation parameters and code version, so an unchanged shop is not regenerated
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from PIL import Image
from tqdm import tqdm

from demo_shop.catalog import CATEGORIES, GIFT_CATEGORY, KINDS, PlannedProduct, image_seed, plan_products
from demo_shop.looks import random_look
from demo_shop.render import render
from prodseg.classes import ClassList
from prodseg.fileio import atomic_write_json, atomic_write_parquet, atomic_write_text, sha256_bytes
from prodseg.settings import ShopConfig

log = logging.getLogger(__name__)

SHOP_NAME = "Nordhem Demo Shop"
IMAGE_SIZE = 512
THUMB_SIZE = 48
JPEG_QUALITY = 90
# Truth masks hold each product's kind as an index into the demo's class list (config/sites/demo.yaml).
DEMO_CLASSES = ClassList(KINDS)

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("demo_shop", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass
class ShopSummary:
    shop_dir: str
    products: int
    images: int
    generated: bool  # False when an identical shop was already there


def code_version() -> str:
    """A hash of the generator's code and templates: a shop made by other code is made again."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*here.glob("*.py"), *here.glob("templates/*.html")]):
        if path.name == "photo_shop.py":  # the photo shop's code does not make the demo shop
            continue
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _params(cfg: ShopConfig) -> dict:
    return {"code": code_version(), "products": cfg.products, "seed": cfg.seed,
            "faults": cfg.faults, "jsonld": cfg.jsonld, "per_page": cfg.per_page}


def generate_shop(shop_dir: Path, cfg: ShopConfig, workers: int = 2) -> ShopSummary:
    """Generate the shop into ``shop_dir`` (skipped when the same parameters are already there).

    The shop is built in a temp folder beside ``shop_dir`` and swapped in whole,
    so an interrupted generation never leaves a half-written shop.
    """
    shop_dir = Path(shop_dir)
    params = _params(cfg)
    existing = stamped_summary(shop_dir, params)
    if existing is not None:
        return existing

    products = plan_products(cfg.products, cfg.seed, cfg.faults)
    tmp = fresh_tmp(shop_dir)
    (tmp / "site" / "img" / "p").mkdir(parents=True)
    (tmp / "truth" / "masks").mkdir(parents=True)

    image_rows = _write_photos(tmp, products, cfg.seed, workers)
    _write_pages(tmp / "site", products, cfg)
    _write_server_config(tmp, products, cfg)
    _write_truth_tables(tmp / "truth", products, image_rows)

    summary = swap_in(tmp, shop_dir, params, ShopSummary(str(shop_dir), len(products), len(image_rows), True))
    log.info("demo shop: %d products, %d photos in %s", summary.products, summary.images, shop_dir)
    return summary


def stamped_summary(shop_dir: Path, params: dict) -> ShopSummary | None:
    """The summary of the shop already in ``shop_dir`` when it was made with ``params``, else None."""
    stamp = shop_dir / "shop.json"
    if stamp.exists() and json.loads(stamp.read_text()).get("params") == params:
        return ShopSummary(**{**json.loads(stamp.read_text())["summary"], "generated": False})
    return None


def fresh_tmp(shop_dir: Path) -> Path:
    """An empty folder beside ``shop_dir`` to build a shop in (see ``swap_in``)."""
    tmp = shop_dir.with_name(shop_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def swap_in(tmp: Path, shop_dir: Path, params: dict, summary: ShopSummary) -> ShopSummary:
    """Stamp the shop built in ``tmp`` and swap it in whole for ``shop_dir``."""
    atomic_write_json(tmp / "shop.json", {"params": params, "summary": asdict(summary)})
    if shop_dir.exists():
        old = shop_dir.with_name(shop_dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        shop_dir.rename(old)
        tmp.rename(shop_dir)
        shutil.rmtree(old)
    else:
        tmp.rename(shop_dir)
    return summary


# --- photos --------------------------------------------------------------------
def _jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=JPEG_QUALITY)
    return buf.getvalue()


def _render_one(job: tuple) -> tuple[bytes, np.ndarray]:
    """Render one product photo (runs in a worker process)."""
    seed, product_index, k, class_name, shot, thumbnail = job
    look_rng = np.random.default_rng(image_seed(seed, product_index, 1000))
    look = random_look(class_name, look_rng)  # the same look for every photo of a product
    image, mask = render(look, shot, np.random.default_rng(image_seed(seed, product_index, k)), IMAGE_SIZE)
    if thumbnail:
        image = image.resize((THUMB_SIZE, THUMB_SIZE), Image.LANCZOS)
        mask = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize(
            (THUMB_SIZE, THUMB_SIZE), Image.NEAREST)) > 127
    return _jpeg(image), mask


def _write_photos(root: Path, products: list[PlannedProduct], seed: int, workers: int) -> list[dict]:
    site_img, masks = root / "site" / "img" / "p", root / "truth" / "masks"
    jobs, owners = [], []
    for p in products:
        for k, img in enumerate(p.images):
            if img.fault in ("missing_image", "corrupt_image", "duplicate_image"):
                continue
            jobs.append((seed, p.index, k, p.class_name, img.shot, img.fault == "thumbnail_only"))
            owners.append((p, img))

    rows: list[dict] = []
    by_file: dict[str, tuple[bytes, np.ndarray]] = {}
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        results = pool.map(_render_one, jobs, chunksize=4)
        for (p, img), (jpeg, mask) in tqdm(zip(owners, results), total=len(jobs), desc="render photos", unit="img"):
            by_file[img.file] = (jpeg, mask)

    for p in products:
        for img in p.images:
            if img.fault == "missing_image":
                continue  # linked from the page, never written: answers 404
            if img.fault == "corrupt_image":
                good, _ = by_file[p.images[0].file]
                (site_img / img.file).write_bytes(good[: len(good) // 3] + b"\x00garbage" * 64)
                continue
            jpeg, mask = by_file[img.copy_of or img.file]
            (site_img / img.file).write_bytes(jpeg)
            if img.copy_of:
                continue  # the same bytes (and truth row) as the original photo
            mask_name = Path(img.file).with_suffix(".png").name
            Image.fromarray((mask * DEMO_CLASSES.id(p.class_name)).astype(np.uint8)).save(masks / mask_name)
            rows.append({
                "sku": p.sku, "class_name": p.class_name, "shot": img.shot, "file": img.file,
                "url": img.url, "image_sha256": sha256_bytes(jpeg), "mask": f"masks/{mask_name}",
                "width": mask.shape[1], "height": mask.shape[0], "fault": img.fault,
            })
    return rows


# --- pages ---------------------------------------------------------------------
def _category_entries(products: list[PlannedProduct]) -> list[dict]:
    seen: dict[str, dict] = {}
    for p in products:
        entry = seen.setdefault(p.category_slug, {"name": p.category, "slug": p.category_slug,
                                                  "url": f"/category/{p.category_slug}/", "count": 0})
        entry["count"] += 1
    order = [c[1] for c in CATEGORIES.values()] + [GIFT_CATEGORY[1]]
    return sorted(seen.values(), key=lambda c: order.index(c["slug"]))


def _jsonld(p: PlannedProduct) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": p.title,
        "sku": p.sku,
        "productID": p.sku,
        "category": f"{p.department} > {p.category}",
        "image": [img.url for img in p.images],
        "offers": {"@type": "Offer", "price": f"{p.price:.2f}", "priceCurrency": "EUR",
                   "availability": "https://schema.org/InStock"},
    }
    # "</" inside a <script> would end it early.
    return json.dumps(data, indent=1).replace("</", "<\\/")


def _render_page(site: Path, url_path: str, template: str, **context) -> None:
    out = site / url_path.strip("/") / "index.html" if url_path.endswith("/") else site / url_path.lstrip("/")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_templates.get_template(template).render(shop_name=SHOP_NAME, **context))


def _write_pages(site: Path, products: list[PlannedProduct], cfg: ShopConfig) -> None:
    categories = _category_entries(products)
    _render_page(site, "/", "index.html", categories=categories)
    _render_page(site, "/cart/", "cart.html", categories=categories)
    for cat in categories:
        members = [p for p in products if p.category_slug == cat["slug"]]
        pages = max(1, -(-len(members) // cfg.per_page))
        for page in range(1, pages + 1):
            chunk = members[(page - 1) * cfg.per_page: page * cfg.per_page]
            _render_page(
                site, _listing_url(cat["slug"], page), "listing.html", categories=categories,
                category=cat, page=page, pages=pages,
                prev_url=_listing_url(cat["slug"], page - 1) if page > 1 else None,
                next_url=_listing_url(cat["slug"], page + 1) if page < pages else None,
                products=[{"url": p.url, "title": p.title, "thumb": p.images[0].url,
                           "price_text": f"€{p.price:,.2f}"} for p in chunk],
            )
    for p in products:
        if p.fault == "broken_page":
            _write_broken_page(site, p)
            continue
        _render_page(site, p.url, "product.html", categories=categories, p={
            "sku": p.sku, "title": p.title, "department": p.department,
            "category": p.category, "category_url": f"/category/{p.category_slug}/",
            "currency": "EUR", "price_text": f"€{p.price:,.2f}",
            "images": [img.url for img in p.images],
            "description": f"The {p.title}: a {p.category.lower()} classic.",
            "jsonld": _jsonld(p) if cfg.jsonld else "",
        })
    _write_robots_and_sitemap(site, products, categories, cfg)


def _write_broken_page(site: Path, p: PlannedProduct) -> None:
    # What a half-deployed shop serves: a page with its product markup missing.
    out = site / p.url.strip("/") / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("<!doctype html><html><head><title>Error</title></head><body><div class=\"product\">")


def _listing_url(slug: str, page: int) -> str:
    return f"/category/{slug}/" if page == 1 else f"/category/{slug}/page/{page}/"


def _write_robots_and_sitemap(site: Path, products, categories, cfg: ShopConfig) -> None:
    base = f"http://{cfg.host}:{cfg.port}"
    atomic_write_text(site / "robots.txt",
                      f"User-agent: *\nDisallow: /cart\nDisallow: /checkout\n\nSitemap: {base}/sitemap.xml\n")
    urls = ["/"] + [c["url"] for c in categories] + [p.url for p in products]
    body = "\n".join(f"  <url><loc>{base}{u}</loc></url>" for u in urls)
    atomic_write_text(site / "sitemap.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
                      '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + body + "\n</urlset>\n")


# --- server behaviours and truth ----------------------------------------------------
def _write_server_config(root: Path, products: list[PlannedProduct], cfg: ShopConfig) -> None:
    behaviours = {"fail_once": [], "slow": {}, "redirects": {}}
    for p in products:
        if p.fault == "fail_once_page":
            behaviours["fail_once"].append(p.url)
        if p.fault == "slow_page":
            behaviours["slow"][p.url] = cfg.slow_seconds
        for img in p.images:
            if img.fault == "redirect_image":
                behaviours["redirects"][img.url] = f"/img/p/{img.file}"
    atomic_write_json(root / "server.json", behaviours)


def _write_truth_tables(truth: Path, products: list[PlannedProduct], image_rows: list[dict]) -> None:
    atomic_write_parquet(truth / "images.parquet", pd.DataFrame(image_rows))
    atomic_write_parquet(truth / "products.parquet", pd.DataFrame([{
        "sku": p.sku, "class_name": p.class_name, "category": p.category, "title": p.title,
        "url": p.url, "fault": p.fault, "expected_in_catalog": p.expected_in_catalog,
        "n_images": len(p.images),
    } for p in products]))
