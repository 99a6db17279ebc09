"""`prodseg predict` (offline, same answers as the API) and `prodseg serve`'s startup error."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from commands.cli import main
from prodseg.rle import decode_rle
from tests.serving.helpers import encoded, photo


def test_predict_json_and_cutout(tmp_path, models_dir, capsys):
    image = tmp_path / "sofa.jpg"
    image.write_bytes(encoded(photo(160, 120), "JPEG", quality=95))
    out = tmp_path / "out" / "cutout.png"
    args = ["--var", str(tmp_path / "var"), "predict", str(image), "--json", "--out", str(out),
            "--model", str(models_dir / "dark-int8.tflite")]
    assert main(args) == 0
    body = json.loads(capsys.readouterr().out)
    [found] = body["predictions"]
    assert body["success"] and body["image"] == {"width": 160, "height": 120} and found["label"] == "couch"
    assert decode_rle(found["mask"]).sum() == found["area"]
    cut = Image.open(out)
    x0, y0, x1, y1 = body["cutout"]["box"]
    assert cut.mode == "RGBA" and cut.width >= x1 - x0 and cut.height >= y1 - y0
    assert np.asarray(cut)[..., 3].max() == 255


def test_predict_with_a_keras_model_prints_a_summary(tmp_path, models_dir, capsys):
    image = tmp_path / "sofa.png"
    image.write_bytes(encoded(photo(160, 120)))
    assert main(["--var", str(tmp_path / "var"), "predict", str(image), "--model", str(models_dir / "dark.keras")]) == 0
    out = capsys.readouterr().out
    assert "dark.keras (keras): 160x120 image, 1 product(s)" in out and "couch" in out


def test_predict_refuses_a_non_image_and_serve_needs_a_model(tmp_path, models_dir, capsys, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    assert main(["predict", str(text), "--model", str(models_dir / "dark-int8.tflite")]) == 1
    assert "not an image" in capsys.readouterr().err
    assert main(["--var", str(tmp_path / "var"), "serve", "--port", "0"]) == 1
    assert "no champion in sqlite:///" in capsys.readouterr().err
