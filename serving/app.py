"""The FastAPI app: REST API (/predict, /segment, /health, /model, /reload, /metrics) and the web page.

Routes are thin: they read the capped upload and hand it to the predictor in a worker
thread. Every refusal is a JSON body ``{"success": false, "error": "..."}`` with a 4xx status,
or a 503 when the server is busy (with ``Retry-After``) or has no model.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from prodseg.settings import Settings
from serving.admission import Admission, UploadSlots
from serving.body_limit import BodyLimit
from serving import device
from serving.budget import ServerBusy
from serving.docs import install_docs
from serving.errors import documented, error_response
from serving.flag import install_flag_route
from serving.follow import Follower
from serving.gallery import Gallery
from serving.headers import SecurityHeaders
from serving.images import FORMATS, UploadError, check_bytes
from serving.metrics import CONTENT_TYPE, VersionStats
from serving.model_source import ModelUnavailable
from serving.predictor import Cutout, Predictor
from serving.quality import CutoutWarning, class_labels, cutout_warnings, header_values
from serving.state import ServedModel

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
MULTIPART_SLACK = 64 * 1024  # multipart boundaries and headers on top of the file itself
SHA256 = r"^[0-9a-f]{64}$"
# The page runs only its own script and style, plus the device runtime's WebAssembly (serving.device);
# photos and the webcam stay local (blob:, mediastream:).
PAGE_CSP = (f"default-src 'self'; {device.SCRIPT_SRC}; img-src 'self' blob: data:; "
            "media-src 'self' blob: mediastream:; "
            "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
IMAGE_FIELD = File(description=f"the photo: {', '.join(FORMATS)}; other fields are ignored")
UPLOAD_ERRORS = documented(400, 408, 413, 415, 422, 503)


class _App(FastAPI):
    def build_middleware_stack(self):
        # Outside even Starlette's error middleware, so that its 500s carry the headers too.
        return SecurityHeaders(super().build_middleware_stack())


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        if err.get("type") == "missing" and loc == ["image"]:
            parts.append("the multipart field 'image' is required: send the photo as image=@file")
        else:
            parts.append(f"{'.'.join(loc) or 'request'}: {err.get('msg')}")
    return "; ".join(parts)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(UploadError)
    async def upload_error(_request: Request, exc: UploadError):
        return error_response(exc.status, exc.message)

    @app.exception_handler(ModelUnavailable)
    async def model_unavailable(_request: Request, exc: ModelUnavailable):
        return error_response(503, str(exc))

    @app.exception_handler(ServerBusy)
    async def server_busy(_request: Request, exc: ServerBusy):
        return error_response(503, str(exc), {"Retry-After": "1"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError):
        return error_response(422, _validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException):  # headers: a 405's Allow, a 408's Connection
        return error_response(exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception):  # a bug, not bad input: still JSON, and logged
        log.error("unhandled error", exc_info=exc)
        return error_response(500, "internal error; the server log has the details")


def _png(cut: Cutout, version: str | None, warnings: list[CutoutWarning]) -> Response:
    headers = {"X-Label": cut.label, "X-Score": str(cut.score), "X-Box": ",".join(map(str, cut.box)),
               "X-Crop-Box": ",".join(map(str, cut.crop_box)), "X-Input-Size": "x".join(map(str, cut.input_size)),
               "X-Model-Version": version or "", **header_values(warnings)}
    return Response(cut.png, media_type="image/png", headers=headers)


def create_app(settings: Settings, model: ServedModel | None = None) -> FastAPI:
    """The app for ``settings``; ``model`` defaults to resolving and loading it (raises ModelUnavailable)."""
    serve = settings.config.serve
    model = model or ServedModel(settings)
    stats = VersionStats()

    @asynccontextmanager
    async def lifespan(_app):
        """Following starts and stops with the server that runs the app, whichever runs it."""
        follower = Follower(model, serve.follow_seconds) if serve.follow_seconds else None
        if follower:
            follower.start()
        try:
            yield
        finally:
            if follower:
                await run_in_threadpool(follower.stop)

    app = _App(title="prodseg", version="0.1.0", docs_url=None, redoc_url=None,  # FastAPI's load a CDN
               description="Product segmentation: instances as JSON with COCO RLE masks, cut-outs as RGBA PNG.",
               lifespan=lifespan)
    install_docs(app)
    app.state.model = model
    app.state.stats = stats
    app.state.gallery = Gallery.load(settings)
    templates = Jinja2Templates(directory=HERE / "templates")  # autoescaping on for .html
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _install_error_handlers(app)
    browser_models = device.BrowserModels()
    device.install(app, browser_models, lambda: model.predictor.source)
    app.add_middleware(BodyLimit, limit=serve.max_upload_bytes + MULTIPART_SLACK,
                       message=f"upload too large: over the limit of {serve.max_upload_bytes:,} bytes",
                       timeout=serve.body_timeout_s)
    # Outside BodyLimit: an upload's body is read (and its body_timeout_s runs) only once it has a slot.
    app.add_middleware(UploadSlots, limit=serve.upload_slots, timeout=serve.queue_timeout_s,
                       paths=("/predict", "/segment"))
    # Added last: outside UploadSlots, refuses first. Liveness and metrics answer even when busy.
    app.add_middleware(Admission, limit=serve.max_in_flight, exempt=("/health", "/metrics"))

    async def read_capped(image: UploadFile) -> bytes:
        return check_bytes(await image.read(serve.max_upload_bytes + 1), serve.max_upload_bytes)

    async def answered(work, *args) -> tuple[Predictor, object]:
        """``work(predictor, *args)`` in a worker thread with the predictor picked for this request, counted."""
        predictor = model.pick()
        start, outcome = time.perf_counter(), "error"
        try:
            result = await run_in_threadpool(work, predictor, *args)
            outcome = "ok"
            return predictor, result
        except UploadError as exc:
            outcome = "refused" if exc.status < 500 else "error"
            raise
        finally:
            stats.record(predictor.source.version or "none", outcome, time.perf_counter() - start)

    async def cut_out(data: bytes, label: str | None, crop: bool, expected: str | None = None) -> Response:
        """``expected``: the catalog's class of the photo, when known; a cut-out of another class is flagged."""
        predictor, cut = await answered(Predictor.segment, data, label, crop)
        known = expected if expected in predictor.classes else None   # a class the model cannot name: no mismatch
        warnings = cutout_warnings(cut.score, cut.border, cut.label, known, predictor.limits)
        return _png(cut, predictor.source.version, warnings)

    @app.post("/predict", summary="Product instances in a photo", responses=UPLOAD_ERRORS)
    async def predict(image: UploadFile = IMAGE_FIELD) -> dict:
        """Each product found: label, score, box [x0, y0, x1, y1], area and mask (COCO RLE) in output pixels:
        the input's, or for an input over serve.max_output_pixels the input reduced by a whole factor. Each also has
        ``warnings``: a list of {code, text} saying why its cut-out would be weak (see serve.warn_*), or empty."""
        return (await answered(Predictor.predict, await read_capped(image)))[1]

    @app.post("/segment", summary="The product cut out as an RGBA PNG",
              response_class=Response, responses={200: {"content": {"image/png": {}}}, **UPLOAD_ERRORS})
    async def segment(image: UploadFile = IMAGE_FIELD,
                      label: str | None = Form(None, description="one of the served model's classes "
                                                                          "(GET /model lists them)"),
                      crop: bool = Form(False, description="crop to the product instead of the whole input")):
        """The largest product (or every instance of ``label``) at the output resolution, edges smoothed.
        A weak cut-out (see serve.warn_*) carries ``X-Cutout-Warnings`` (codes) and ``X-Cutout-Warning-Text``."""
        return await cut_out(await read_capped(image), label, crop)

    @app.get("/health", summary="Liveness and the served model")
    def health() -> dict:
        return {"status": "ok", "model": model.predictor.model_info()}

    @app.get("/model", summary="The served model: name, version, aliases, metrics, sizes; following; canary")
    def model_details() -> dict:
        """The champion serving since ``since``; ``follow``: how often the registry is checked and the last check
        (``error`` says why a new model was not taken); ``canary``: the challenger and its share of requests;
        ``requests``: per version, requests, refused (4xx), errors (5xx) and latency since the server started."""
        predictor, challenger = model.predictor, model.challenger
        height, width = predictor.size
        return {**predictor.source.describe(), "classes": list(predictor.classes.products),
                "class_labels": class_labels(predictor.classes.products), "input_size": {"width": width, "height": height},
                "workers": predictor.pool.workers, "since": model.since,
                "follow": {"every_s": serve.follow_seconds or None, "last_check": model.last_check},
                "canary": {"share": serve.canary_share,
                           "challenger": challenger.source.describe() if challenger else None},
                "requests": stats.summary(),
                "device": device.describe(browser_models.of(predictor.source), predictor.classes,
                                          serve.max_output_pixels,
                                          settings.config.evaluate.min_component_frac,
                                          settings.config.evaluate.class_vote, serve.edge_sharpness)}

    @app.get("/metrics", summary="Prometheus metrics: requests by model version and outcome, latency",
             response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
    def metrics() -> Response:
        return Response(stats.exposition(), media_type=CONTENT_TYPE)

    @app.post("/reload", summary="Pick up a new champion (and a new catalog) without a restart",
              responses=documented(503))
    async def reload() -> dict:
        try:
            result = await run_in_threadpool(model.reload, "reload")
        except ModelUnavailable as exc:
            raise ModelUnavailable(f"{exc}; still serving {model.predictor.source.label}") from None
        app.state.gallery = await run_in_threadpool(Gallery.load, settings)
        return {**result, "products": len(app.state.gallery.products)}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request):
        page = templates.TemplateResponse(request, "index.html", {"max_upload_mb": serve.max_upload_bytes / 1e6,
                                                                  "import_map": device.IMPORT_MAP})
        page.headers["Content-Security-Policy"] = PAGE_CSP
        return page

    @app.get("/api/products", summary="The crawled products shown in the gallery")
    def products(category: str | None = Query(None, description="a product class; empty for all")) -> dict:
        gallery: Gallery = app.state.gallery
        # People's words for the classes of the served model and of the catalog (a class only one of them has too).
        names = {*model.predictor.classes.products, *gallery.categories()}
        return {"categories": gallery.categories(), "class_labels": class_labels(sorted(names)),
                "products": gallery.listing(category)}

    def catalog_photo(sha256: str):
        found = app.state.gallery.get(sha256)
        if found is None:
            raise HTTPException(404, f"no catalog photo {sha256}")
        return found

    @app.get("/images/{sha256}", summary="A catalog photo", response_class=FileResponse,
             responses=documented(404, 422))
    def image(sha256: str = PathParam(pattern=SHA256)):
        return FileResponse(catalog_photo(sha256)[1].path, headers={"Cache-Control": "max-age=3600"})

    @app.get("/cutouts/{sha256}.png", summary="A catalog photo's product cut out (cropped); warnings as /segment's, "
             "plus a class other than the catalog's", response_class=Response,
             responses=documented(400, 404, 422, 503))
    async def catalog_cutout(sha256: str = PathParam(pattern=SHA256)):
        product, photo = catalog_photo(sha256)
        data = await run_in_threadpool(photo.path.read_bytes)
        return await cut_out(data, None, True, product.class_name)

    install_flag_route(app, settings)
    return app
