"""The one shape of every refusal, ``{"success": false, "error": "..."}``, its OpenAPI description and handlers."""

from __future__ import annotations

import logging
from typing import Literal, Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

log = logging.getLogger(__name__)
SHA256 = r"^[0-9a-f]{64}$"  # a photo's id in paths and bodies


class ErrorBody(BaseModel):
    success: Literal[False] = False
    error: str


REASONS = {
    400: "empty, truncated or corrupt image, or an unknown label",
    404: "no such catalog photo",
    408: "the request body did not arrive within serve.body_timeout_s",
    413: "upload over serve.max_upload_bytes or image over serve.max_pixels",
    415: "not an image this server reads",
    422: "a missing or malformed field, or (for a cut-out) no product found",
    429: "too many flags from this client this hour (review.flag_rate_per_hour)",
    503: "busy (try again shortly) or no model to serve",
    507: "the flag table is full until people review it (review.flag_queue_max)",
}


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=status, headers=headers)


def documented(*statuses: int) -> dict:
    """FastAPI ``responses=`` for the refusals a route really gives."""
    return {status: {"model": ErrorBody, "description": REASONS[status]} for status in statuses}


def validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        if err.get("type") == "missing" and loc == ["image"]:
            parts.append("the multipart field 'image' is required: send the photo as image=@file")
        else:
            parts.append(f"{'.'.join(loc) or 'request'}: {err.get('msg')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Every refusal and every bug in the JSON shape above (an app adds handlers for its own errors)."""
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError):
        return error_response(422, validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException):  # headers: a 405's Allow, a 408's Connection
        return error_response(exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception):  # a bug, not bad input: still JSON, and logged
        log.error("unhandled error", exc_info=exc)
        return error_response(500, "internal error; the server log has the details")
