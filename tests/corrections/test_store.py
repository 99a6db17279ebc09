"""Decisions on disk, and people's decisions winning in the split and the training input."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from corrections.store import BadDecision, Decision, read_corrections, record
from tests.corrections.conftest import H, W, labels
from training.dataset import make_dataset
from training.split import run_split


def test_a_correction_writes_its_mask_and_row_and_the_latest_decision_wins(settings):
    table = labels(settings)
    sha = table["image_sha256"][0]
    mask = np.zeros((H, W), bool)
    mask[5:15, 5:25] = True
    row = record(settings, table, Decision(sha, "correct", "cup", mask, who="ana"))
    written = np.asarray(Image.open(settings.corrections_dir / row["mask_path"]))
    np.testing.assert_array_equal(written, np.where(mask, 6, 0))   # cup = 6
    record(settings, table, Decision(sha, "reject", who="ben"))
    stored = read_corrections(settings)
    assert list(stored["decision"]) == ["correct", "reject"] and list(stored["who"]) == ["ana", "ben"]
    assert stored["replaces"][0] == "grabcut-test" and (settings.corrections_dir / row["mask_path"]).exists()


@pytest.mark.parametrize("decision, message", [
    (Decision("0" * 64, "accept"), "no label"),
    (Decision("SHA", "maybe"), "decision must be"),
    (Decision("SHA", "accept", "spaceship"), "class must be"),
    (Decision("SHA", "correct", mask=np.ones((3, 3), bool)), "mask"),
    (Decision("SHA", "correct", mask=np.zeros((H, W), bool)), "empty"),
])
def test_bad_decisions_are_refused_and_nothing_is_written(settings, decision, message):
    decision.image_sha256 = decision.image_sha256.replace("SHA", labels(settings)["image_sha256"][0])
    with pytest.raises(BadDecision, match=message):
        record(settings, labels(settings), decision)
    assert not settings.corrections_dir.exists() or not any(settings.corrections_dir.rglob("*.p*"))


def test_a_corrected_photo_the_teacher_rejected_enters_the_split_and_training(settings):
    before = run_split(settings)
    manifest = pd.read_parquet(before.manifest_path)
    table = labels(settings)
    rejected = table[~table["accepted"]]["image_sha256"].iloc[0]
    dropped = table["image_sha256"][0]
    assert rejected not in set(manifest["image_sha256"])
    old_split = dict(zip(manifest["image_sha256"], manifest["split"]))
    mask = np.zeros((H, W), bool)
    mask[8:32, 4:40] = True
    record(settings, table, Decision(rejected, "correct", mask=mask, who="ana"))
    record(settings, table, Decision(dropped, "reject", who="ana"))
    after = run_split(settings)
    manifest = pd.read_parquet(after.manifest_path).set_index("image_sha256")
    assert rejected in manifest.index and dropped not in manifest.index and after.corrected == 1
    for sha, split in old_split.items():   # products keep their split
        if sha != dropped:
            assert manifest.loc[sha, "split"] == split
    # The training input reads the person's mask for it, at the model size.
    row = manifest.loc[[rejected]].reset_index()
    _, masks = next(iter(make_dataset(row, settings.raw_dir, settings.labels_dir, size=W, batch_size=1,
                                      training=False, seed=0)))
    expected = np.asarray(Image.fromarray(np.where(mask, 5, 0).astype(np.uint8)).resize((W, W), Image.NEAREST))
    np.testing.assert_array_equal(masks[0].numpy(), expected)   # bowl = 5


def test_a_flagged_photo_comes_first_in_the_queue_until_a_person_decides_it(settings):
    from corrections.flags import add_flag
    from corrections.queue import review_queue

    table = labels(settings)
    accepted = table[table["accepted"]]["image_sha256"]
    queue = [item["image_sha256"] for item in review_queue(settings)]
    assert queue[0] == table[~table["accepted"]]["image_sha256"].iloc[0]   # no flags: the teacher's reject first
    flagged = accepted.iloc[0]   # the most confident: last without the flag
    assert queue[-1] == flagged
    add_flag(settings, flagged, "background_left", "client-a")
    add_flag(settings, flagged, "part_missing", "client-b")
    first = review_queue(settings)[0]
    assert first["image_sha256"] == flagged and first["flags"] == 2
    record(settings, table, Decision(flagged, "accept", who="ana"))
    after = review_queue(settings)
    assert after[-1]["image_sha256"] == flagged and after[-1]["decision"] == "accept" and after[-1]["flags"] == 0


def test_teacher_vs_people_agreement_per_class(settings):
    from corrections.agreement import teacher_people_agreement

    assert teacher_people_agreement(settings) is None   # nobody reviewed
    table = labels(settings)
    chair, vase, couch = table["image_sha256"][:3]
    teacher = np.asarray(Image.open(settings.labels_dir / table["mask_path"][0])) > 0
    half = teacher.copy()
    half[:, : W // 2] = False                            # the person keeps the right part of the teacher's chair
    record(settings, table, Decision(chair, "correct", mask=half, who="ana"))
    record(settings, table, Decision(vase, "accept", who="ana"))
    record(settings, table, Decision(couch, "reject", who="ana"))
    people = teacher_people_agreement(settings)
    expected = round(half.sum() / teacher.sum(), 4)
    assert people["per_class_iou"] == {"chair": expected, "vase": 1.0}
    assert people["images"] == 3 and people["accept_decision_agreement"] == round(2 / 3, 4)


def test_the_evaluation_report_shows_teacher_vs_people_only_when_someone_reviewed():
    from types import SimpleNamespace

    from evaluation.report import people_section

    assert people_section(SimpleNamespace(teacher_vs_people=None)) == ""
    text = people_section(SimpleNamespace(teacher_vs_people={
        "images": 3, "mean_iou": 0.75, "per_class_iou": {"chair": 0.5, "vase": 1.0},
        "decisions": {"correct": 1, "accept": 1, "reject": 1}, "accept_decision_agreement": 0.6667}))
    assert "## Teacher vs people" in text and "| chair   |" in text and "67%" in text and "0.750" in text


def test_accepting_with_another_class_relabels_the_teachers_mask(settings):
    table = labels(settings)
    row = record(settings, table, Decision(table["image_sha256"][1], "accept", "cup", who="ana"))  # a vase, really a cup
    teacher = np.asarray(Image.open(settings.labels_dir / table["mask_path"][1]))
    assert row["decision"] == "correct" and row["class_name"] == "cup"
    np.testing.assert_array_equal(np.asarray(Image.open(settings.corrections_dir / row["mask_path"])),
                                  np.where(teacher > 0, 6, 0))
