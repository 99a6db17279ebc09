"""``prodseg review``: the page where the people who own the data accept, reject and correct labels.

A server of its own (not a part of the public ``prodseg serve``), so nothing links to it and it can
listen on another interface. Every ``/review/api`` route needs the token (``Authorization: Bearer``);
the page itself is an empty shell that asks for it. Decisions go straight to ``data/corrections``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
from pathlib import Path

import numpy as np
from fastapi import Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from corrections.queue import read_labels, review_queue
from corrections.store import DECISIONS, BadDecision, Decision, latest, read_corrections, record
from prodseg.classes import ClassList
from prodseg.settings import Settings
from prodseg.web.body_limit import BodyLimit
from prodseg.web.errors import SHA256, install_error_handlers
from prodseg.web.headers import SecurityHeaders, page_csp

HERE = Path(__file__).resolve().parent
MAX_BODY = 8_000_000   # a decision with its painted mask (a PNG, usually a few kB)


class NoToken(RuntimeError):
    """Refusing to start a review server anyone could change data through."""


def review_token(settings: Settings, host: str, no_auth_local: bool) -> str | None:
    """The token requests must carry; None only for ``--no-auth-local`` on 127.0.0.1."""
    token = settings.config.review.token
    if token:
        return token
    if no_auth_local and host == "127.0.0.1":
        return None
    raise NoToken("the review server changes data and needs a token: set review.token (or PRODSEG__REVIEW__TOKEN, "
                  "16+ characters), or bind it to 127.0.0.1 with --no-auth-local")


class DecisionIn(BaseModel):
    image_sha256: str = Field(pattern=SHA256)
    decision: str = Field(json_schema_extra={"enum": list(DECISIONS)})
    class_name: str | None = None
    mask_png: str | None = Field(None, description="data:image/png;base64 of the painted mask (alpha > 0: product)")
    who: str = Field("reviewer", max_length=64)


def painted_mask(data_url: str) -> np.ndarray:
    head, _, payload = data_url.partition(",")
    if head != "data:image/png;base64":
        raise BadDecision("mask_png must be a data:image/png;base64 URL")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(payload, validate=True)))
        image.load()
    except (binascii.Error, UnidentifiedImageError, OSError) as exc:
        raise BadDecision(f"mask_png is not a PNG: {exc}") from None
    return np.asarray(image.convert("RGBA"))[..., 3] > 0


def label_classes(settings: Settings) -> list[str]:
    """The class picker's choices: the list the labels were drawn with (``data/labels/classes.json``); for labels
    drawn before they carried one, the classes they hold."""
    if settings.label_classes_path.exists():
        return list(ClassList.load(settings.label_classes_path).products)
    return sorted(set(read_labels(settings)["class_name"].dropna()))


def create_review_app(settings: Settings, token: str | None) -> FastAPI:
    app = FastAPI(title="prodseg review", docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=MAX_BODY, message=f"request too large: over {MAX_BODY:,} bytes",
                       timeout=settings.config.serve.body_timeout_s)
    app.add_middleware(SecurityHeaders)
    app.mount("/review/static", StaticFiles(directory=HERE / "review_static"), name="review-static")

    def authorized(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise HTTPException(401, "a valid review token is needed (Authorization: Bearer ...)",
                                headers={"WWW-Authenticate": "Bearer"})

    def label_row(sha: str):
        labels = read_labels(settings)
        match = labels[labels["image_sha256"] == sha]
        if match.empty:
            raise HTTPException(404, f"no label for image {sha}")
        return match.iloc[0]

    @app.get("/review", response_class=HTMLResponse, include_in_schema=False)
    def page():
        html = (HERE / "review_static" / "review.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers={"Content-Security-Policy": page_csp(), "Cache-Control": "no-store"})

    @app.get("/review/api/queue", dependencies=[Depends(authorized)])
    def queue() -> dict:
        return {"classes": label_classes(settings), "auth": token is not None,
                "items": review_queue(settings, settings.config.review.queue_size)}

    @app.get("/review/api/image/{sha}", dependencies=[Depends(authorized)])
    def image(sha: str = PathParam(pattern=SHA256)):
        return FileResponse(settings.raw_dir / label_row(sha)["image_path"])

    @app.get("/review/api/mask/{sha}", dependencies=[Depends(authorized)])
    def mask(sha: str = PathParam(pattern=SHA256)):
        """The mask in force: the latest person's correction, else the teacher's; 204 when neither."""
        row = label_row(sha)
        decided = latest(read_corrections(settings))
        if sha in decided.index and decided.loc[sha, "mask_path"]:
            return FileResponse(settings.corrections_dir / decided.loc[sha, "mask_path"])
        if isinstance(row["mask_path"], str):
            return FileResponse(settings.labels_dir / row["mask_path"])
        return Response(status_code=204)

    @app.post("/review/api/decision", dependencies=[Depends(authorized)])
    async def decide(body: DecisionIn) -> dict:
        try:
            mask = painted_mask(body.mask_png) if body.mask_png else None
            decision = Decision(body.image_sha256, body.decision, body.class_name, mask, body.who)
            row = await run_in_threadpool(record, settings, read_labels(settings), decision)
        except BadDecision as exc:
            raise HTTPException(400, str(exc)) from None
        return {"success": True, "row": row}

    return app

