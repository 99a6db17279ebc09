"""The tf.data input pipeline: labelled images -> (image, mask) batches at the model size.

Images are decoded by the same loader the labeller used (any mode, EXIF
orientation applied), so image and mask pixels line up; the decoded, resized
pairs are cached, and augmentation runs after the cache, on train only: copy-paste
(another training image's product pasted in) and then the photometric/geometric ``augment``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf
from PIL import Image

from prodseg.images import load_rgb

AUTOTUNE = tf.data.AUTOTUNE


def load_pair(image_path: str, mask_path: str, size: int, class_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Decoded and resized: image float32 0..255 (H, W, 3), mask uint8 class indices (H, W).

    With ``class_id`` (the row's id in the class list it is read under), every product pixel takes it: one
    product per photo, so a mask drawn under an older list (or 255, no class) still reads right."""
    image = Image.fromarray(load_rgb(Path(image_path), min_side=1, max_pixels=200_000_000))
    image = np.asarray(image.resize((size, size), Image.BILINEAR, reducing_gap=2.0), np.float32)
    mask = np.asarray(Image.open(mask_path).resize((size, size), Image.NEAREST), np.uint8)
    if class_id is not None:
        return image, np.where(mask > 0, class_id, 0).astype(np.uint8)
    mask = np.where(mask == 255, 0, mask)  # 255 = "ignore" never reaches training (rejected), but be safe
    return image, mask


def augment(image: tf.Tensor, mask: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Flip, small zoom/shift, brightness/saturation/hue jitter; the mask follows the geometry."""
    size = tf.shape(image)[0]
    seeds = tf.random.experimental.stateless_split(seed, 6)
    flip = tf.random.stateless_uniform([], seeds[0]) < 0.5
    image = tf.cond(flip, lambda: tf.reverse(image, [1]), lambda: image)
    mask = tf.cond(flip, lambda: tf.reverse(mask, [1]), lambda: mask)
    # Zoom in up to 1.2x and shift within the image (one crop box for both): zooming
    # out or shifting past the edge would invent black borders no shop photo has.
    scale = tf.random.stateless_uniform([], seeds[1], 1.0, 1.2)
    half = 0.5 / scale
    center = 0.5 + tf.random.stateless_uniform([2], seeds[2], -1.0, 1.0) * (0.5 - half)
    box = tf.stack([center[0] - half, center[1] - half, center[0] + half, center[1] + half])[None]
    crop = tf.stack([size, size])
    image = tf.image.crop_and_resize(image[None], box, [0], crop, method="bilinear")[0]
    mask = tf.image.crop_and_resize(tf.cast(mask[None, ..., None], tf.float32), box, [0], crop,
                                    method="nearest")[0, ..., 0]
    mask = tf.cast(mask, tf.uint8)
    image = image / 255.0
    image = tf.image.stateless_random_brightness(image, 0.15, seeds[3])
    image = tf.image.stateless_random_saturation(image, 0.75, 1.25, seeds[4])
    image = tf.image.stateless_random_hue(image, 0.03, seeds[5])
    return tf.clip_by_value(image, 0.0, 1.0) * 255.0, mask


def copy_paste(image: tf.Tensor, mask: tf.Tensor, donor_image: tf.Tensor, donor_mask: tf.Tensor,
               seed: tf.Tensor, probability: float, scale: tuple[float, float] = (0.5, 1.0)
               ) -> tuple[tf.Tensor, tf.Tensor]:
    """With ``probability``, paste the donor's labelled pixels (mask > 0), flipped at random, scaled
    by ``scale`` and shifted, over ``image``; the pasted pixels take the donor's classes in the mask.

    Products land over other photos' backgrounds (room shots included) in poses and sizes the crawl
    does not have: meant for a small or noisily labelled room-shot set.
    """
    if probability <= 0:
        return image, mask
    size = tf.shape(image)[0]
    seeds = tf.random.experimental.stateless_split(seed, 4)
    s = tf.random.stateless_uniform([], seeds[0], scale[0], scale[1])
    offset = tf.random.stateless_uniform([2], seeds[1]) * (1.0 - s)  # the donor frame stays inside
    # Output pixel at u (0..1) shows donor pixel (u - offset) / s; outside the donor frame: 0 = nothing pasted.
    box = tf.stack([-offset[0] / s, -offset[1] / s, (1.0 - offset[0]) / s, (1.0 - offset[1]) / s])
    flip = tf.random.stateless_uniform([], seeds[2]) < 0.5
    box = tf.where(flip, tf.gather(box, [0, 3, 2, 1]), box)  # x1 > x2 makes crop_and_resize mirror
    crop = tf.stack([size, size])
    pasted_image = tf.image.crop_and_resize(donor_image[None], box[None], [0], crop, method="bilinear")[0]
    pasted_mask = tf.image.crop_and_resize(tf.cast(donor_mask[None, ..., None], tf.float32), box[None], [0], crop,
                                           method="nearest")[0, ..., 0]
    pasted_mask = tf.cast(pasted_mask, tf.uint8)
    paste = tf.logical_and(pasted_mask > 0, tf.random.stateless_uniform([], seeds[3]) < probability)
    return tf.where(paste[..., None], pasted_image, image), tf.where(paste, pasted_mask, mask)


def make_dataset(rows: pd.DataFrame, root: Path, labels_dir: Path, size: int, batch_size: int,
                 training: bool, seed: int, copy_paste_p: float = 0.0) -> tf.data.Dataset:
    """Batches of (float32 images 0..255, uint8 masks) for the manifest ``rows``; mask pixels take the
    row's ``class_id`` (its index in the labels' class list)."""
    image_paths = [str(root / p) for p in rows["image_path"]]
    mask_paths = [str(labels_dir / p) for p in rows["mask_path"]]
    class_ids = rows["class_id"].astype("int64").to_numpy()

    def _load(image_path, mask_path, class_id):
        image, mask = tf.numpy_function(
            lambda i, m, c: load_pair(i.decode(), m.decode(), size, int(c)), [image_path, mask_path, class_id],
            [tf.float32, tf.uint8])
        image.set_shape([size, size, 3])
        mask.set_shape([size, size])
        return image, mask

    ds = tf.data.Dataset.from_tensor_slices((image_paths, mask_paths, class_ids))
    ds = ds.map(_load, num_parallel_calls=AUTOTUNE, deterministic=True).cache()
    if training:
        # Copy-paste donors: the same cached pairs in another order (no second shuffle buffer when off).
        donors = ds.shuffle(len(rows), seed=seed + 1, reshuffle_each_iteration=True) if copy_paste_p > 0 else ds
        ds = ds.shuffle(len(rows), seed=seed, reshuffle_each_iteration=True)
        counter = tf.data.Dataset.counter(seed)

        def _augment(pair, donor, i):
            element_seed = tf.stack([tf.cast(seed, tf.int64), i])
            image, mask = copy_paste(*pair, *donor, tf.random.experimental.stateless_fold_in(element_seed, 1),
                                     copy_paste_p)
            return augment(image, mask, element_seed)

        ds = tf.data.Dataset.zip((ds, donors, counter)).map(_augment, num_parallel_calls=AUTOTUNE)
    return ds.batch(batch_size).prefetch(AUTOTUNE)
