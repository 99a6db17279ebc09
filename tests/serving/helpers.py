"""Serving test helpers: a tiny real model, drawn product photos, isolated settings.

The "dark" model is a real Keras model with fixed weights: pixels darker than
light grey are a couch, the rest background. Served through the same int8
TFLite path as the student, it makes every answer checkable against the
drawn shapes. The student itself (random weights) is used where only the
plumbing matters.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import keras
import numpy as np
import pytest
from mlflow import MlflowClient
from PIL import Image, ImageDraw

from prodseg.classes import ClassList
from prodseg.settings import REPO_ROOT, Settings
from release.model_classes import CLASSES_TAG, classes_tag
from release.registry import CHAMPION
from release.tflite import ARTIFACT_DIR, convert, tflite_name
from tests.pipelines.tiny import free_port

SIZE = 64
NAME = "prodseg-student"  # the registered model name of the default settings
DARK_CLASS = "couch"
# The demo shop's eight (config/sites/demo.yaml), the list the tiny models here carry unless a test says otherwise.
DEMO = ClassList(("couch", "chair", "bed", "vase", "bowl", "cup", "wine-glass", "potted-plant"))
# Products of the tiny catalog: (product id, title, class, shape box as fractions of a 160x120 photo)
PRODUCTS = [
    ("p1", "Grey sofa", "couch", (0.20, 0.30, 0.80, 0.90)),
    ("p2", "Oak chair", "chair", (0.35, 0.20, 0.65, 0.85)),
    ("p3", "Blue vase", "vase", (0.40, 0.15, 0.60, 0.80)),
]


def dark_model(size: int = SIZE, classes: ClassList = DEMO, dark_class: str = DARK_CLASS) -> keras.Model:
    """Logits: ``dark_class`` = (195 - mean RGB) / 20, background = the negative, other classes far below."""
    inputs = keras.Input((size, size, 3), name="image")
    logits = keras.layers.Conv2D(len(classes), 1, name="logits")(inputs)
    model = keras.Model(inputs, logits)
    kernel = np.zeros((1, 1, 3, len(classes)), np.float32)
    bias = np.full(len(classes), -10.0, np.float32)
    kernel[..., classes.id(dark_class)], bias[classes.id(dark_class)] = -1 / 60, 9.75
    kernel[..., 0], bias[0] = 1 / 60, -9.75
    model.get_layer("logits").set_weights([kernel, bias])
    return model


def int8(model: keras.Model) -> bytes:
    size = model.input_shape[1]
    rng = np.random.default_rng(0)

    def representative():
        for _ in range(8):
            yield [rng.uniform(0, 255, (1, size, size, 3)).astype(np.float32)]

    return convert(model, "int8", representative)


def photo(width: int = 160, height: int = 120, box=(0.2, 0.3, 0.8, 0.9), fill=(60, 50, 40)) -> Image.Image:
    """A studio shot: a dark rectangle on white."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    x0, y0, x1, y1 = box
    ImageDraw.Draw(image).rectangle([x0 * width, y0 * height, x1 * width - 1, y1 * height - 1], fill=fill)
    return image


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def serve_settings(root: Path, data: Path | None = None, **serve) -> Settings:
    """Settings isolated from the developer's env: var under ``root``, registry a sqlite file there."""
    overrides = {"paths": {"var": str(root / "var"), "data": str(data or root / "data")},
                 "mlflow": {"tracking_uri": f"sqlite:///{root / 'mlflow.db'}"}, "serve": serve}
    return Settings.load(overrides, environ={})


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory now (VmRSS) or at its peak so far (VmHWM), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


@contextmanager
def serve_process(root: Path, model: Path, data: Path, workers: int | None = None,
                  **serve) -> Iterator[tuple[str, int]]:
    """`python -m commands.cli serve` in its own process, as deployed; yields (base URL, pid).

    ``serve``: ``serve.*`` settings, e.g. ``max_upload_bytes=1000``.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRODSEG", "MLFLOW_"))}
    overrides = [arg for key, value in serve.items() for arg in ("--set", f"serve.{key}={value}")]
    log_path = root / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "commands.cli", "--var", str(root / "var"), "--data", str(data), *overrides,
             "serve", "--model", str(model), "--port", str(port), *(["--workers", str(workers)] if workers else [])],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        try:
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def register(settings, tflite: dict[str, Path], tags: dict[str, object] | None = None,
             keras_dir: Path | None = None, alias: str | None = CHAMPION, classes: ClassList | None = DEMO) -> str:
    """A version the way the export stage leaves one: run artifacts tflite/student-<variant>.tflite + tags.

    ``alias`` (champion by default) then points at it; None: no alias. ``classes``: its tag ``classes``;
    None: a version registered before models carried a class list.
    """
    tags = {**({CLASSES_TAG: classes_tag(classes)} if classes else {}), **(tags or {})}
    client = MlflowClient(settings.mlflow_tracking_uri)
    if not client.search_registered_models(f"name = '{NAME}'"):
        client.create_registered_model(NAME)
    experiment = client.get_experiment_by_name("t") or client.get_experiment(client.create_experiment(
        "t", artifact_location=(settings.var_dir / "artifacts").as_uri()))
    run_id = client.create_run(experiment.experiment_id).info.run_id
    client.log_metric(run_id, "best_val_mean_iou", 0.75)
    for variant, path in tflite.items():
        named = settings.var_dir / "staging" / run_id / tflite_name(variant)
        named.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, named)
        client.log_artifact(run_id, str(named), ARTIFACT_DIR)
    source = keras_dir.as_uri() if keras_dir else (settings.var_dir / "none").as_uri()
    version = str(client.create_model_version(NAME, source, run_id).version)
    for key, value in tags.items():
        client.set_model_version_tag(NAME, version, key, str(value))
    if alias:
        client.set_registered_model_alias(NAME, alias, version)
    return version


def stalled_upload(url: str) -> socket.socket:
    """A socket that sent a request's headers and a sliver of its 200 kB body, then went quiet."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    head = (b'--x\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
            b"Content-Type: image/png\r\n\r\n")
    sock.sendall(b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                 b"Content-Length: 200000\r\n\r\n" + head + b"\x89PNG" + bytes(1000))
    return sock


def read_response(sock: socket.socket, timeout: float) -> tuple[int, dict]:
    """Status and JSON body of the one response on ``sock``."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert headers["content-type"] == "application/json", lines
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return int(lines[0].split()[1]), json.loads(body)
