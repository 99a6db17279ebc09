import pytest

from prodseg.classes import ClassList, category_words, normalize_category, specific_category

MAP = {"sofas": "couch", "mugs": "cup", "wine glasses": "wine-glass", "plants": "potted-plant"}
DEMO = ClassList(("couch", "chair", "bed", "vase", "bowl", "cup", "wine-glass", "potted-plant"))


def test_class_order_is_the_convention():
    assert DEMO.names[0] == "background" and len(DEMO) == 9
    assert DEMO.id("couch") == 1 and DEMO.id("potted-plant") == 8


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
    assert normalize_category(raw, MAP, DEMO.products) == expected


def test_most_specific_breadcrumb_part_wins():
    assert normalize_category("Plants > Mugs", MAP) == "cup"


def test_class_list_round_trips_and_names_its_indices(tmp_path):
    classes = ClassList(("couch", "table"))
    assert classes.names == ("background", "couch", "table") and len(classes) == 3
    assert classes.id("table") == 2 and classes.name(2) == "table"
    with pytest.raises(KeyError, match="expected one of couch, table"):
        classes.id("lamp")
    assert ClassList.load(classes.save(tmp_path / "classes.json")) == classes
    assert ClassList.from_json(["couch", "table"]) == classes


@pytest.mark.parametrize("bad", [(), ("couch", "couch"), ("Couch",), ("background",), ("a b",)])
def test_class_list_refuses_bad_names(bad):
    with pytest.raises(ValueError):
        ClassList(bad)


def test_site_words_and_own_categories():
    words = category_words({"table": ["tables", "dining tables"], "couch": ["sofas"]}, {"settees": "couch"})
    assert normalize_category("Home > Dining Tables", words) == "table"
    assert normalize_category("Living > Settees", words) == "couch"
    assert normalize_category("Lighting > Floor Lamps", words) is None
    assert specific_category("Lighting > Floor Lamps") == "floor-lamps"
    assert specific_category(" > ") is None
