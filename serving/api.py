"""The public REST API: /predict, /segment, /health, /model, /reload.

Routes are thin: they read the capped upload and hand it to the predictor in a worker thread, counted per
model version (``serving/metrics.py``). The app's state (``serving/app.py``) holds the model and the counts.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from prodseg.web.errors import documented
from serving import device
from serving.gallery import Gallery
from serving.images import FORMATS, UploadError, check_bytes
from serving.model_source import ModelUnavailable
from serving.predictor import Cutout, Predictor
from serving.quality import CutoutWarning, class_labels, cutout_warnings, header_values

IMAGE_FIELD = File(description=f"the photo: {', '.join(FORMATS)}; other fields are ignored")
UPLOAD_ERRORS = documented(400, 408, 413, 415, 422, 503)

router = APIRouter()


async def read_capped(request: Request, image: UploadFile) -> bytes:
    max_bytes = request.app.state.settings.config.serve.max_upload_bytes
    return check_bytes(await image.read(max_bytes + 1), max_bytes)


async def answered(request: Request, work, *args) -> tuple[Predictor, object]:
    """``work(predictor, *args)`` in a worker thread with the predictor picked for this request, counted."""
    predictor = request.app.state.model.pick()
    start, outcome = time.perf_counter(), "error"
    try:
        result = await run_in_threadpool(work, predictor, *args)
        outcome = "ok"
        return predictor, result
    except UploadError as exc:
        outcome = "refused" if exc.status < 500 else "error"
        raise
    finally:
        request.app.state.stats.record(predictor.source.version or "none", outcome, time.perf_counter() - start)


def png_response(cut: Cutout, version: str | None, warnings: list[CutoutWarning]) -> Response:
    headers = {"X-Label": cut.label, "X-Score": str(cut.score), "X-Box": ",".join(map(str, cut.box)),
               "X-Crop-Box": ",".join(map(str, cut.crop_box)), "X-Input-Size": "x".join(map(str, cut.input_size)),
               "X-Model-Version": version or "", **header_values(warnings)}
    return Response(cut.png, media_type="image/png", headers=headers)


async def cut_out(request: Request, data: bytes, label: str | None, crop: bool,
                  expected: str | None = None) -> Response:
    """``expected``: the catalog's class of the photo, when known; a cut-out of another class is flagged."""
    predictor, cut = await answered(request, Predictor.segment, data, label, crop)
    known = expected if expected in predictor.classes else None   # a class the model cannot name: no mismatch
    warnings = cutout_warnings(cut.score, cut.border, cut.label, known, predictor.limits)
    return png_response(cut, predictor.source.version, warnings)


@router.post("/predict", summary="Product instances in a photo", responses=UPLOAD_ERRORS)
async def predict(request: Request, image: UploadFile = IMAGE_FIELD) -> dict:
    """Each product found: label, score, box [x0, y0, x1, y1], area and mask (COCO RLE) in output pixels:
    the input's, or for an input over serve.max_output_pixels the input reduced by a whole factor. Each also has
    ``warnings``: a list of {code, text} saying why its cut-out would be weak (see serve.warn_*), or empty."""
    return (await answered(request, Predictor.predict, await read_capped(request, image)))[1]


@router.post("/segment", summary="The product cut out as an RGBA PNG",
             response_class=Response, responses={200: {"content": {"image/png": {}}}, **UPLOAD_ERRORS})
async def segment(request: Request, image: UploadFile = IMAGE_FIELD,
                  label: str | None = Form(None, description="one of the served model's classes "
                                                              "(GET /model lists them)"),
                  crop: bool = Form(False, description="crop to the product instead of the whole input")):
    """The largest product (or every instance of ``label``) at the output resolution, edges smoothed.
    A weak cut-out (see serve.warn_*) carries ``X-Cutout-Warnings`` (codes) and ``X-Cutout-Warning-Text``."""
    return await cut_out(request, await read_capped(request, image), label, crop)


@router.get("/health", summary="Liveness and the served model")
def health(request: Request) -> dict:
    return {"status": "ok", "model": request.app.state.model.predictor.model_info()}


@router.get("/model", summary="The served model: name, version, aliases, metrics, sizes; following; canary")
def model_details(request: Request) -> dict:
    """The champion serving since ``since``; ``follow``: how often the registry is checked and the last check
    (``error`` says why a new model was not taken); ``canary``: the challenger and its share of requests;
    ``requests``: per version, requests, refused (4xx), errors (5xx) and latency since the server started."""
    state = request.app.state
    settings, model = state.settings, state.model
    serve = settings.config.serve
    predictor, challenger = model.predictor, model.challenger
    height, width = predictor.size
    return {**predictor.source.describe(), "classes": list(predictor.classes.products),
            "class_labels": class_labels(predictor.classes.products), "input_size": {"width": width, "height": height},
            "workers": predictor.pool.workers, "since": model.since,
            "follow": {"every_s": serve.follow_seconds or None, "last_check": model.last_check},
            "canary": {"share": serve.canary_share,
                       "challenger": challenger.source.describe() if challenger else None},
            "requests": state.stats.summary(),
            "device": device.describe(state.browser_models.of(predictor.source), predictor.classes,
                                      serve.max_output_pixels,
                                      settings.config.evaluate.min_component_frac,
                                      settings.config.evaluate.class_vote, serve.edge_sharpness)}


@router.post("/reload", summary="Pick up a new champion (and a new catalog) without a restart",
             responses=documented(503))
async def reload(request: Request) -> dict:
    state = request.app.state
    try:
        result = await run_in_threadpool(state.model.reload, "reload")
    except ModelUnavailable as exc:
        raise ModelUnavailable(f"{exc}; still serving {state.model.predictor.source.label}") from None
    state.gallery = await run_in_threadpool(Gallery.load, state.settings)
    return {**result, "products": len(state.gallery.products)}
