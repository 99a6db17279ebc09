"""What the page needs to cut out on the shopper's device: the served model's browser copy and the runtime.

The model is the served TFLite file with its batch fixed to one (``release.browser.fixed_batch``), at
``/model/files/<tag>/<file>``: ``tag`` is the registry version (a content hash for a file served by path),
so a browser may cache it for good and a new champion is a new URL. The runtime is LiteRT.js from npm
(``make install`` runs ``npm ci`` into ``node_modules/``, never committed), served under ``/vendor/litertjs``;
without it the page says the device runtime is unavailable and offers the server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from prodseg.classes import ClassList
from prodseg.settings import REPO_ROOT
from release.browser import fixed_batch, output_quantization
from serving.model_source import KERAS, ModelSource

VENDOR = REPO_ROOT / "node_modules" / "@litertjs"
VENDOR_URL = "/vendor/litertjs"
# LiteRT.js imports its helper package by name: the page maps that name to the served copy.
IMPORT_MAP = json.dumps({"imports": {"@litertjs/core": f"{VENDOR_URL}/core/dist/index.js",
                                     "@litertjs/wasm-utils": f"{VENDOR_URL}/wasm-utils/dist/index.js"}})
IMPORT_MAP_HASH = "sha256-" + base64.b64encode(hashlib.sha256(IMPORT_MAP.encode()).digest()).decode()
# WebAssembly compiles under 'wasm-unsafe-eval' (not 'unsafe-eval': no JavaScript eval); the one inline
# script is the import map, allowed by its hash. The non-threaded runtime needs no worker or blob: script.
SCRIPT_SRC = f"script-src 'self' 'wasm-unsafe-eval' '{IMPORT_MAP_HASH}'"


@dataclass(frozen=True)
class BrowserModel:
    tag: str
    file: str
    data: bytes
    output_quantization: tuple[float, int] | None

    @property
    def url(self) -> str:
        return f"/model/files/{self.tag}/{self.file}"


class BrowserModels:
    """The browser copy of whichever model is served now, made once per model (a hot reload makes a new one)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key, self._model = None, None

    def of(self, source: ModelSource) -> BrowserModel | None:
        if source.variant == KERAS:  # a Keras fallback has no TFLite file for the browser
            return None
        with self._lock:
            if self._key != source.key:
                data = fixed_batch(source.path.read_bytes())
                tag = source.version or hashlib.sha256(data).hexdigest()[:16]
                self._key = source.key
                self._model = BrowserModel(tag, source.path.name, data, output_quantization(data))
            return self._model


def describe(browser: BrowserModel | None, classes: ClassList, max_output_pixels: int, min_frac: float, class_vote: bool,
             sharpness: float) -> dict | None:
    """The /model ``device`` entry: the page's model URL, the served model's class list (background first, in
    output order) and the post-processing settings the server uses."""
    if browser is None:
        return None
    scale_zero = browser.output_quantization
    return {"url": browser.url, "bytes": len(browser.data), "runtime": f"{VENDOR_URL}/core/dist/index.js",
            "wasm": f"{VENDOR_URL}/core/wasm/", "available": VENDOR.is_dir(), "classes": list(classes.names),
            "output_quantization": {"scale": scale_zero[0], "zero_point": scale_zero[1]} if scale_zero else None,
            "max_output_pixels": max_output_pixels, "min_component_frac": min_frac, "class_vote": class_vote,
            "edge_sharpness": sharpness}


def mount_runtime(app: FastAPI) -> None:
    """The runtime under ``/vendor/litertjs``, when installed."""
    if VENDOR.is_dir():
        app.mount(VENDOR_URL, StaticFiles(directory=VENDOR), name="vendor")


router = APIRouter()


@router.get("/model/files/{tag}/{file}", summary="The served model for the browser (batch of one), by version",
            response_class=Response, responses={200: {"content": {"application/octet-stream": {}}}, 404: {}})
def model_file(tag: str, file: str, request: Request) -> Response:
    state = request.app.state
    browser = state.browser_models.of(state.model.predictor.source)
    if browser is None or (tag, file) != (browser.tag, browser.file):
        raise HTTPException(404, f"no model file {tag}/{file}; /model names the served one")
    return Response(browser.data, media_type="application/octet-stream",
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})
