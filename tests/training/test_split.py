import pandas as pd
import pytest

from prodseg.settings import SplitConfig
from training.split import SPLITS, assign_splits, product_classes

CLASSES = ["couch", "chair", "cup", "vase"]


def products(n_per_class: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame([{"site": "demo", "product_id": f"P{i:04d}-{c}", "class_name": c}
                         for c in CLASSES for i in range(start, start + n_per_class)])


def test_assignment_is_deterministic_and_independent_of_row_order():
    table = products(20)
    a = assign_splits(table, SplitConfig(), {})
    b = assign_splits(table.sample(frac=1, random_state=3), SplitConfig(), {})
    assert a == b
    assert assign_splits(table, SplitConfig(seed=99), {}) != a


def test_every_class_is_split_close_to_60_20_20():
    table = products(20)
    out = assign_splits(table, SplitConfig(), {})
    table["split"] = [out[(r.site, r.product_id)] for r in table.itertuples()]
    for _, group in table.groupby("class_name"):
        counts = group["split"].value_counts()
        assert (counts["train"], counts["val"], counts["test"]) == (12, 4, 4)


def test_adding_products_never_moves_old_ones():
    old = assign_splits(products(10), SplitConfig(), {})
    grown = assign_splits(pd.concat([products(10), products(7, start=10)]), SplitConfig(), old)
    assert all(grown[key] == split for key, split in old.items())
    assert set(grown.values()) == set(SPLITS)


def test_product_class_is_the_majority_of_its_images():
    images = pd.DataFrame({"site": "demo", "product_id": ["A", "A", "A", "B"],
                           "class_name": ["cup", "vase", "cup", "bowl"]})
    assert product_classes(images).set_index("product_id")["class_name"].to_dict() == {"A": "cup", "B": "bowl"}


def test_bad_fractions_are_refused():
    with pytest.raises(ValueError, match="fractions"):
        assign_splits(products(2), SplitConfig(train=0, val=0, test=0), {})
