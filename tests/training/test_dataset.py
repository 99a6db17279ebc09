"""Copy-paste augmentation and the train input pipeline, on tiny synthetic images."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from PIL import Image

from training.dataset import copy_paste, make_dataset

SIZE = 32


def pair(image_value: float, mask_class: int, box=(8, 24)):
    """A flat image and a mask holding ``mask_class`` in a square (nothing when 0)."""
    image = np.full((SIZE, SIZE, 3), image_value, np.float32)
    mask = np.zeros((SIZE, SIZE), np.uint8)
    mask[box[0]:box[1], box[0]:box[1]] = mask_class
    return tf.constant(image), tf.constant(mask)


def seed(i: int):
    return tf.constant([42, i], tf.int64)


@pytest.mark.parametrize("donor_class, probability", [(3, 0.0), (0, 1.0)],
                         ids=["probability zero is identity", "a donor without product pastes nothing"])
def test_nothing_is_pasted(donor_class, probability):
    image, mask = pair(10.0, 1)
    out_image, out_mask = copy_paste(image, mask, *pair(200.0, donor_class), seed(0), probability)
    np.testing.assert_array_equal(out_image, image)
    np.testing.assert_array_equal(out_mask, mask)


def test_pasted_pixels_and_mask_agree():
    image, mask = pair(10.0, 1, box=(2, 12))
    pasted_any = False
    for i in range(8):
        out_image, out_mask = copy_paste(image, mask, *pair(200.0, 3), seed(i), 1.0)
        out_image, out_mask = out_image.numpy(), out_mask.numpy()
        pasted = out_mask == 3
        pasted_any |= pasted.any()
        np.testing.assert_allclose(out_image[pasted], 200.0)       # pasted pixels: the donor's
        np.testing.assert_allclose(out_image[~pasted], 10.0)       # the rest: untouched
        np.testing.assert_array_equal(out_mask[~pasted], mask.numpy()[~pasted])
        assert set(np.unique(out_mask)) <= {0, 1, 3}
    assert pasted_any


def test_copy_paste_is_deterministic_for_a_seed():
    target, donor = pair(10.0, 1, box=(2, 12)), pair(200.0, 3)
    runs = [copy_paste(*target, *donor, seed(i), 0.5) for i in (7, 7, 8)]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    many = [copy_paste(*target, *donor, seed(i), 0.5)[1].numpy() for i in range(16)]
    assert any((m == 3).any() for m in many) and any(not (m == 3).any() for m in many)  # p=0.5: some, not all


def test_train_batches_repeat_for_a_seed(tmp_path):
    rows = []
    for i in range(4):
        image = np.random.default_rng(i).integers(0, 255, (40, 40, 3), np.uint8)
        mask = np.zeros((40, 40), np.uint8)
        mask[10:30, 5 + i:25 + i] = i + 1
        Image.fromarray(image).save(tmp_path / f"{i}.png")
        Image.fromarray(mask).save(tmp_path / f"{i}_mask.png")
        rows.append({"image_path": f"{i}.png", "mask_path": f"{i}_mask.png", "class_id": i + 1})
    rows = pd.DataFrame(rows)

    def batches():
        ds = make_dataset(rows, tmp_path, tmp_path, SIZE, 4, training=True, seed=3, copy_paste_p=0.5)
        return [(x.numpy(), y.numpy()) for x, y in ds.take(1)]

    (x1, y1), (x2, y2) = batches()[0], batches()[0]
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert x1.shape == (4, SIZE, SIZE, 3) and y1.shape == (4, SIZE, SIZE)
