"""POST /api/flag: a shopper says a catalog cut-out is wrong. Stores a reference, never bytes.

The image must be one the server holds (the gallery's catalog photos, by sha256); the reason comes
from a fixed list; a client (by address) sends at most ``review.flag_rate_per_hour`` an hour.
The flag joins the review queue (``corrections/queue.py``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from corrections.flags import REASONS, FlagsFull, RateLimit, add_flag, client_key
from prodseg.settings import Settings
from prodseg.web.errors import SHA256, documented


class FlagIn(BaseModel):
    image_sha256: str = Field(pattern=SHA256, description="a catalog photo's sha256 (from /api/products)")
    reason: Literal[REASONS] = "other"  # type: ignore[valid-type]


@dataclass
class FlagGate:
    """Who may flag how often (``review.flag_rate_per_hour``), by a salted key of the client's address."""
    limit: RateLimit
    salt: str = field(default_factory=lambda: secrets.token_hex(8))  # per process: addresses are counted, not kept

    @classmethod
    def of(cls, settings: Settings) -> "FlagGate":
        return cls(RateLimit(settings.config.review.flag_rate_per_hour))


router = APIRouter()


@router.post("/api/flag", summary="Flag a catalog photo's cut-out as wrong (goes to the label review queue)",
             responses=documented(404, 422, 429, 507))
async def flag(body: FlagIn, request: Request) -> dict:
    state = request.app.state
    if state.gallery.get(body.image_sha256) is None:
        raise HTTPException(404, f"no catalog photo {body.image_sha256}")
    client = client_key(request.client.host if request.client else "?", state.flag_gate.salt)
    if not state.flag_gate.limit.allow(client):
        raise HTTPException(429, "too many flags from this client; thank you, try again later",
                            headers={"Retry-After": "3600"})
    try:
        stored = await run_in_threadpool(add_flag, state.settings, body.image_sha256, body.reason, client)
    except FlagsFull as exc:
        raise HTTPException(507, str(exc)) from None
    return {"success": True, "stored": stored}
