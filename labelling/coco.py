"""The COCO instance-segmentation file of the accepted labels (RLE masks: ``prodseg/rle.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from prodseg.classes import ClassList
from prodseg.rle import encode_rle


def coco_document(labels: pd.DataFrame, labels_dir: Path, classes: ClassList) -> dict:
    """COCO dict for the accepted rows of the labels table (image ids follow table order; categories:
    ``classes``, ids as in the masks)."""
    images, annotations = [], []
    for image_id, row in enumerate(labels[labels["accepted"]].itertuples(), 1):
        mask = np.asarray(Image.open(labels_dir / row.mask_path)) > 0
        x0, y0, x1, y1 = row.box_x0, row.box_y0, row.box_x1, row.box_y1
        images.append({"id": image_id, "file_name": row.image_path, "width": int(row.width),
                       "height": int(row.height), "sha256": row.image_sha256})
        annotations.append({"id": image_id, "image_id": image_id, "category_id": classes.id(row.class_name),
                            "segmentation": encode_rle(mask), "area": int(mask.sum()),
                            "bbox": [int(x0), int(y0), int(x1 - x0), int(y1 - y0)],
                            "iscrowd": 0, "score": round(float(row.score), 4)})
    categories = [{"id": classes.id(name), "name": name, "supercategory": "product"} for name in classes.products]
    return {"info": {"description": "prodseg pseudo-labels"}, "images": images,
            "annotations": annotations, "categories": categories}
