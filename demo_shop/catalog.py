"""What the demo shop sells: a deterministic plan of products, their pages and photos.

Only plain data here (no rendering, no HTML), so the plan is cheap to build and test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# class -> (shop category name, URL slug, department for the breadcrumb)
CATEGORIES: dict[str, tuple[str, str, str]] = {
    "couch": ("Sofas & Couches", "sofas", "Living room"),
    "chair": ("Chairs", "chairs", "Living room"),
    "bed": ("Beds", "beds", "Bedroom"),
    "vase": ("Vases", "vases", "Decoration"),
    "bowl": ("Bowls", "bowls", "Kitchen"),
    "cup": ("Mugs & Cups", "mugs", "Kitchen"),
    "wine-glass": ("Wine Glasses", "wine-glasses", "Kitchen"),
    "potted-plant": ("Plants", "plants", "Decoration"),
}
# The demo shop's product kinds, in the order config/sites/demo.yaml declares them as classes.
KINDS: tuple[str, ...] = tuple(CATEGORIES)
# A category no product class matches: its products are crawled but marked unknown.
GIFT_CATEGORY = ("Gift Ideas", "gifts", "Inspiration")

_NAMES = ("Oslo", "Bergen", "Lund", "Malmo", "Aarhus", "Turku", "Visby", "Kolding", "Alta", "Roskilde")
_MATERIALS = {
    "couch": ("Velvet", "Linen", "Boucle", "Leather", "Cotton"),
    "chair": ("Oak", "Walnut", "Rattan", "Upholstered", "Beech"),
    "bed": ("Oak", "Upholstered", "Pine", "Linen", "Walnut"),
    "vase": ("Ceramic", "Stoneware", "Glazed", "Terracotta", "Porcelain"),
    "bowl": ("Stoneware", "Porcelain", "Enamel", "Ceramic", "Glazed"),
    "cup": ("Stoneware", "Porcelain", "Enamel", "Ceramic", "Bone China"),
    "wine-glass": ("Crystal", "Clear", "Tinted", "Lead-free", "Handblown"),
    "potted-plant": ("Monstera", "Ficus", "Snake Plant", "Palm", "Fern"),
}
_NOUNS = {
    "couch": ("3-Seater Sofa", "2-Seater Sofa", "Corner Sofa", "Loveseat"),
    "chair": ("Dining Chair", "Armchair", "Lounge Chair", "Side Chair"),
    "bed": ("Double Bed", "King Bed", "Single Bed", "Bed Frame"),
    "vase": ("Vase", "Bud Vase", "Floor Vase", "Flower Vase"),
    "bowl": ("Serving Bowl", "Salad Bowl", "Fruit Bowl", "Bowl"),
    "cup": ("Mug", "Coffee Cup", "Tea Cup", "Espresso Cup"),
    "wine-glass": ("Wine Glass", "Red Wine Glass", "White Wine Glass", "Goblet"),
    "potted-plant": ("in Pot", "in Ceramic Pot", "Houseplant", "in Basket"),
}
_PRICE_RANGE = {
    "couch": (399, 2499), "chair": (49, 599), "bed": (199, 1899), "vase": (9, 149),
    "bowl": (5, 79), "cup": (4, 39), "wine-glass": (5, 49), "potted-plant": (12, 189),
}

# The faults a real shop has, each planted on one product (see plan_products).
FAULTS = (
    "missing_image",    # a gallery image URL answers 404
    "corrupt_image",    # a gallery image is a truncated, undecodable JPEG
    "duplicate_image",  # a gallery image has the same bytes as another product's photo
    "redirect_image",   # the main image URL redirects (302) to the real file
    "fail_once_page",   # the product page answers 500 once, then 200
    "slow_page",        # the product page answers after a delay
    "thumbnail_only",   # an extra product whose only photo is a tiny thumbnail
    "broken_page",      # an extra product whose page lost its product data
    "unknown_category", # an extra product in a category no class matches
)


@dataclass
class PlannedImage:
    file: str                  # file name under site/img/p/
    shot: str                  # "studio" | "lifestyle"
    url: str = ""              # path the page links to (differs from /img/p/<file> for faults)
    fault: str | None = None
    copy_of: str | None = None  # duplicate_image: the other product's file


@dataclass
class PlannedProduct:
    index: int
    sku: str
    class_name: str            # the class the photos show
    category: str              # the shop's category name (GIFT_CATEGORY for unknown_category)
    category_slug: str
    department: str
    title: str
    price: float
    images: list[PlannedImage] = field(default_factory=list)
    fault: str | None = None

    @property
    def slug(self) -> str:
        return self.sku.lower()

    @property
    def url(self) -> str:
        return f"/product/{self.slug}/"

    @property
    def expected_in_catalog(self) -> bool:
        """Whether a correct crawl lands this product (with at least one image)."""
        return self.fault not in ("thumbnail_only", "broken_page")


def image_seed(seed: int, product_index: int, image_index: int) -> np.random.SeedSequence:
    """Per-photo seed: adding products never changes the photos of earlier ones."""
    return np.random.SeedSequence([seed, product_index, image_index])


def _title(class_name: str, rng: np.random.Generator) -> str:
    name = _NAMES[rng.integers(len(_NAMES))]
    material = _MATERIALS[class_name][rng.integers(len(_MATERIALS[class_name]))]
    noun = _NOUNS[class_name][rng.integers(len(_NOUNS[class_name]))]
    return f"{name} {material} {noun}"


def _product(index: int, class_name: str, rng: np.random.Generator, category=None) -> PlannedProduct:
    category_name, slug, department = category or CATEGORIES[class_name]
    low, high = _PRICE_RANGE[class_name]
    n_images = int(rng.integers(1, 4))
    sku = f"DS-{index:05d}"
    images = [
        PlannedImage(
            file=f"{sku.lower()}-{k}.jpg",
            shot="studio" if rng.random() < 0.7 else "lifestyle",
        )
        for k in range(n_images)
    ]
    for img in images:
        img.url = f"/img/p/{img.file}"
    return PlannedProduct(
        index=index,
        sku=sku,
        class_name=class_name,
        category=category_name,
        category_slug=slug,
        department=department,
        title=_title(class_name, rng),
        price=round(float(rng.uniform(low, high)), 0) - 0.01,
        images=images,
    )


def plan_products(n: int, seed: int, faults: bool) -> list[PlannedProduct]:
    """``n`` products, classes in a balanced round-robin; with ``faults``, faults planted on top."""
    rng = np.random.default_rng(seed)
    order = list(KINDS)
    products = [_product(i, order[i % len(order)], rng) for i in range(n)]
    if faults:
        _plant_faults(products, rng)
    return products


def _plant_faults(products: list[PlannedProduct], rng: np.random.Generator) -> None:
    if len(products) < 16:
        raise ValueError("fault mode needs at least 16 products")
    victims = iter(products)

    p = next(victims)
    p.fault = "missing_image"
    p.images.append(PlannedImage(file=f"{p.slug}-missing.jpg", shot="studio",
                                 url=f"/img/p/{p.slug}-missing.jpg", fault="missing_image"))
    p = next(victims)
    p.fault = "corrupt_image"
    p.images.append(PlannedImage(file=f"{p.slug}-corrupt.jpg", shot="studio",
                                 url=f"/img/p/{p.slug}-corrupt.jpg", fault="corrupt_image"))
    p = next(victims)
    # The other product is of the same class, so the shared photo's true class is unambiguous.
    other = next(q for q in products[p.index + 1:] if q.class_name == p.class_name)
    p.fault = "duplicate_image"
    p.images.append(PlannedImage(file=f"{p.slug}-dup.jpg", shot=other.images[0].shot,
                                 url=f"/img/p/{p.slug}-dup.jpg", fault="duplicate_image",
                                 copy_of=other.images[0].file))
    p = next(victims)
    p.fault = "redirect_image"
    p.images[0].url = f"/img/r/{p.images[0].file}"
    p.images[0].fault = "redirect_image"
    next(victims).fault = "fail_once_page"
    next(victims).fault = "slow_page"

    n = len(products)
    thumb = _product(n, "chair", rng)
    thumb.fault = "thumbnail_only"
    thumb.images = thumb.images[:1]
    thumb.images[0].fault = "thumbnail_only"
    broken = _product(n + 1, "bowl", rng)
    broken.fault = "broken_page"
    gift = _product(n + 2, "vase", rng, category=GIFT_CATEGORY)
    gift.fault = "unknown_category"
    products += [thumb, broken, gift]
