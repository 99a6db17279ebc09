"""``prodseg predict``: the server's /predict and /segment on a local file, no server needed."""

from __future__ import annotations

from pathlib import Path

from prodseg.fileio import atomic_write_bytes
from prodseg.settings import Settings
from serving.images import UploadError, check_bytes
from serving.model_source import resolve
from serving.predictor import Predictor


def predict_file(settings: Settings, image: Path, out: Path | None = None, label: str | None = None) -> dict:
    """The /predict body for ``image``; with ``out``, also writes the cropped cut-out PNG there."""
    limit = settings.config.serve.max_upload_bytes
    try:
        with open(image, "rb") as fh:
            data = check_bytes(fh.read(limit + 1), limit)
    except OSError as exc:
        raise UploadError(400, f"cannot read {image}: {exc.strerror}") from None
    predictor = Predictor(resolve(settings), settings, workers=1)
    payload = predictor.predict(data)
    if out is not None and payload["predictions"]:
        cut = predictor.segment(data, label, crop=True)
        atomic_write_bytes(out, cut.png)
        payload["cutout"] = {"path": str(out), "label": cut.label, "score": cut.score, "box": list(cut.box)}
    return payload


def summary(payload: dict) -> str:
    model, image = payload["model"], payload["image"]
    version = f" v{model['version']}" if model["version"] else ""
    lines = [f"{model['name']}{version} ({model['variant']}): {image['width']}x{image['height']} image, "
             f"{len(payload['predictions'])} product(s)"]
    lines += [f"  {p['label']:<13} score {p['score']:.2f}  box {p['box']}  area {p['area']} px"
              for p in payload["predictions"]]
    if "cutout" in payload:
        lines.append(f"cut-out ({payload['cutout']['label']}): {payload['cutout']['path']}")
    return "\n".join(lines)
