"""The FastAPI app: the routers of the REST API (``serving/api.py``), the web page (``serving/page.py``), the
browser's model files (``serving/device.py``), metrics and flags, with the limits every request passes.

Every refusal is a JSON body ``{"success": false, "error": "..."}`` with a 4xx status (``prodseg/web/errors.py``),
or a 503 when the server is busy (with ``Retry-After``) or has no model.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from prodseg.settings import Settings
from prodseg.web.body_limit import BodyLimit
from prodseg.web.errors import error_response, install_error_handlers
from prodseg.web.headers import SecurityHeaders
from serving import api, device, flag, metrics, page
from serving.admission import Admission, UploadSlots
from serving.budget import ServerBusy
from serving.docs import install_docs
from serving.follow import Follower
from serving.gallery import Gallery
from serving.images import UploadError
from serving.metrics import VersionStats
from serving.model_source import ModelUnavailable
from serving.state import ServedModel

HERE = Path(__file__).resolve().parent
MULTIPART_SLACK = 64 * 1024  # multipart boundaries and headers on top of the file itself


class _App(FastAPI):
    def build_middleware_stack(self):
        # Outside even Starlette's error middleware, so that its 500s carry the headers too.
        return SecurityHeaders(super().build_middleware_stack())


def install_serving_errors(app: FastAPI) -> None:
    """The shared handlers, plus this server's own refusals: bad uploads, no model, busy."""
    install_error_handlers(app)

    @app.exception_handler(UploadError)
    async def upload_error(_request: Request, exc: UploadError):
        return error_response(exc.status, exc.message)

    @app.exception_handler(ModelUnavailable)
    async def model_unavailable(_request: Request, exc: ModelUnavailable):
        return error_response(503, str(exc))

    @app.exception_handler(ServerBusy)
    async def server_busy(_request: Request, exc: ServerBusy):
        return error_response(503, str(exc), {"Retry-After": "1"})


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Following starts and stops with the server that runs the app, whichever runs it."""
    every = app.state.settings.config.serve.follow_seconds
    follower = Follower(app.state.model, every) if every else None
    if follower:
        follower.start()
    try:
        yield
    finally:
        if follower:
            await run_in_threadpool(follower.stop)


def create_app(settings: Settings, model: ServedModel | None = None) -> FastAPI:
    """The app for ``settings``; ``model`` defaults to resolving and loading it (raises ModelUnavailable)."""
    serve = settings.config.serve
    app = _App(title="prodseg", version="0.1.0", docs_url=None, redoc_url=None,  # FastAPI's load a CDN
               description="Product segmentation: instances as JSON with COCO RLE masks, cut-outs as RGBA PNG.",
               lifespan=lifespan)
    install_docs(app)
    app.state.settings = settings
    app.state.model = model or ServedModel(settings)
    app.state.stats = VersionStats()
    app.state.gallery = Gallery.load(settings)
    app.state.browser_models = device.BrowserModels()
    app.state.flag_gate = flag.FlagGate.of(settings)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    device.mount_runtime(app)
    install_serving_errors(app)
    app.add_middleware(BodyLimit, limit=serve.max_upload_bytes + MULTIPART_SLACK,
                       message=f"upload too large: over the limit of {serve.max_upload_bytes:,} bytes",
                       timeout=serve.body_timeout_s)
    # Outside BodyLimit: an upload's body is read (and its body_timeout_s runs) only once it has a slot.
    app.add_middleware(UploadSlots, limit=serve.upload_slots, timeout=serve.queue_timeout_s,
                       paths=("/predict", "/segment"))
    # Added last: outside UploadSlots, refuses first. Liveness and metrics answer even when busy.
    app.add_middleware(Admission, limit=serve.max_in_flight, exempt=("/health", "/metrics"))
    for router in (device.router, api.router, metrics.router, page.router, flag.router):
        app.include_router(router)
    return app
