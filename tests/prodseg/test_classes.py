import pytest

from prodseg.classes import CLASS_NAMES, NUM_CLASSES, class_id, normalize_category

MAP = {"sofas": "couch", "mugs": "cup", "wine glasses": "wine-glass", "plants": "potted-plant"}


def test_class_order_is_the_convention():
    assert CLASS_NAMES[0] == "background"
    assert NUM_CLASSES == 9
    assert class_id("couch") == 1 and class_id("potted-plant") == 8


def test_unknown_class_name_says_what_is_valid():
    with pytest.raises(KeyError, match="expected one of"):
        class_id("lamp")


@pytest.mark.parametrize("raw, expected", [
    ("Living room > Sofas & Couches", "couch"),
    ("Kitchen > Mugs & Cups", "cup"),
    ("Kitchen > Wine Glasses", "wine-glass"),
    ("Decoration / Plants", "potted-plant"),
    ("chair", "chair"),                       # class names always match
    ("Bedroom > Beds", None),                 # "beds" is not in this map
    ("Inspiration > Gift Ideas", None),
    ("", None),
    (None, None),
])
def test_normalize_category(raw, expected):
    assert normalize_category(raw, MAP) == expected


def test_most_specific_breadcrumb_part_wins():
    assert normalize_category("Plants > Mugs", MAP) == "cup"
