"""The HTTP answer of a booking created under an optional Idempotency-Key (R-24)."""

from __future__ import annotations

from fastapi import Response

from roomtime.domains.bookings.idempotent import Replay
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.schemas import render_booking


def created_or_replayed(outcome: Booking | Replay) -> Response:
    """201 with the booking, or the stored answer of an earlier request with the same key
    and body, byte for byte, marked `Idempotent-Replayed: true`."""
    if isinstance(outcome, Replay):
        return Response(
            outcome.body,
            status_code=outcome.status_code,
            headers={"Idempotent-Replayed": "true"},
            media_type="application/json",
        )
    # Rendered by the same function whose bytes a replay of this request sends.
    return json_response(render_booking(outcome), 201)


def json_response(body: str, status_code: int = 200) -> Response:
    """JSON a route rendered itself (with its response model's `model_dump_json`: the bytes
    FastAPI would send for that model), sent as is."""
    return Response(body, status_code=status_code, media_type="application/json")
