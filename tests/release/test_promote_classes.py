"""Promotion across class lists: what a model cannot name, and scores on what two lists share."""

import numpy as np
import pytest

from prodseg.classes import ClassList
from prodseg.settings import Settings
from release.model_classes import legacy_classes
from release.promote import cannot_name, catalog_classes, shared_comparison, shared_scores

LABELS = ClassList(("lamp", "table", "rug"))


def test_a_version_must_name_every_class_of_the_catalog(tmp_path):
    settings = Settings.load({"paths": {"data": str(tmp_path)}}, environ={})
    assert catalog_classes(settings) is None and cannot_name("3", None, None) is None   # data from before lists
    ClassList(("lamp", "table")).save(settings.catalog_classes_path)
    assert catalog_classes(settings) == ClassList(("lamp", "table"))
    LABELS.save(settings.label_classes_path)   # the labels' list wins over the crawl's
    assert catalog_classes(settings) == LABELS
    assert cannot_name("3", ClassList(("rug", "lamp", "table", "vase")), LABELS) is None   # order and extras: fine
    assert cannot_name("3", ClassList(("lamp", "couch")), LABELS) == "refused: v3 cannot name the catalog's classes table, rug"
    assert cannot_name("3", None, LABELS).endswith("lamp, table, rug (it carries no class list)")


def test_scores_on_the_shared_classes_rename_a_models_ids_into_the_labels():
    refs = np.zeros((2, 4, 4), np.uint8)
    refs[0, :2, :2] = LABELS.id("table")
    refs[1, 2:, 2:] = LABELS.id("lamp")
    champion = ClassList(("table", "couch"))   # names table (its id 1), not lamp; couch the labels lack
    maps = np.zeros((2, 4, 4), np.uint8)
    maps[0, :2, :2] = champion.id("table")
    maps[1, 2:, 2:] = champion.id("couch")      # the lamp found, named couch: foreground right, class not shared
    scores = shared_scores(maps, champion, refs, LABELS)
    assert scores == {"foreground_iou": 1.0, "per_class_iou": {"table": 1.0}}
    challenger = {"foreground_iou": 0.9, "per_class_iou": {"lamp": 0.5, "table": 0.8, "rug": 0.1}}
    compared = shared_comparison(challenger, scores)
    assert (compared.score, compared.champion_score) == (pytest.approx(0.85), 1.0)
    assert compared.basis == "foreground IoU and the shared classes' IoU (table), as the class lists differ"
    only_fg = shared_comparison(challenger, shared_scores(maps, legacy_classes(3), refs, LABELS))
    assert only_fg.basis.startswith("foreground IoU (no class in common)") and only_fg.score == 0.9


def test_legacy_classes_come_from_the_output_width():
    assert legacy_classes(4).products == ("class-1", "class-2", "class-3")
    with pytest.raises(ValueError, match="at least one class"):
        legacy_classes(1)
