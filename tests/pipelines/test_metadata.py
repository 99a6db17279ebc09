"""Asset metadata: plots shown as pictures, runs linked to the MLflow UI at mlflow.ui_url."""

import base64
import re

import numpy as np
import pytest
from PIL import Image

from assets.metadata import THUMBNAIL_SIDE, mlflow_run_url, picture
from prodseg.settings import ConfigError
from tests.conftest import make_settings


def test_a_plot_is_a_thumbnail_with_a_link_to_the_full_picture_in_mlflow(tmp_path):
    settings = make_settings(tmp_path, tmp_path / "shop", mlflow={"ui_url": "http://mlflow.local:5001"})
    path = tmp_path / "gallery.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (900, 1200, 3), np.uint8)).save(path)
    text = picture(settings, path, "gallery", "abc123", "evaluation/gallery.png").value
    embedded = re.search(r"!\[gallery\]\(data:image/(png|jpeg);base64,([A-Za-z0-9+/=]+)\)", text)
    assert embedded, text[:200]
    thumbnail = tmp_path / "thumb"
    thumbnail.write_bytes(base64.b64decode(embedded.group(2)))
    assert max(Image.open(thumbnail).size) == THUMBNAIL_SIDE
    assert "(http://mlflow.local:5001/get-artifact?path=evaluation%2Fgallery.png&run_uuid=abc123)" in text
    assert mlflow_run_url(settings, "3", "abc123").value == "http://mlflow.local:5001/#/experiments/3/runs/abc123"


@pytest.mark.parametrize("bad", ["127.0.0.1:5000", "ftp://host", "http://", "http://host/a b"])
def test_a_bad_ui_url_is_refused(tmp_path, bad):
    with pytest.raises(ConfigError, match="mlflow.ui_url"):
        make_settings(tmp_path, tmp_path / "shop", mlflow={"ui_url": bad})
