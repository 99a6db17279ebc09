"""The crawl journal: one line per crawled product page (see prodseg/journal.py).

The catalog table is rebuilt from it (see catalog.py); these functions tell a
new crawl what it may skip.
"""

from __future__ import annotations

from pathlib import Path


def done_pages(records: list[dict], images_dir: Path) -> set[str]:
    """Product pages a crawl need not fetch again: complete, with every stored image still on disk."""
    return {
        r["page_url"]
        for r in records
        if r.get("complete") and all((images_dir / img["file"]).exists() for img in r.get("images", []))
    }


def known_images(records: list[dict], images_dir: Path) -> dict[str, dict]:
    """Image URL -> its stored image, for images whose file is still on disk."""
    return {
        img["url"]: img
        for r in records
        for img in r.get("images", [])
        if (images_dir / img["file"]).exists()
    }
