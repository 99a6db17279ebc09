"""The one shape of every refusal, ``{"success": false, "error": "..."}``, and its OpenAPI description."""

from __future__ import annotations

from typing import Literal, Mapping

from pydantic import BaseModel
from starlette.responses import JSONResponse


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
