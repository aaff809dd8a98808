"""The HTTP answer of a booking created under an optional Idempotency-Key (R-24)."""

from __future__ import annotations

from fastapi import Response

from roomtime.api.responses import json_response
from roomtime.domains.bookings.idempotent import Replay
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.schemas import render_booking


def created_or_replayed(outcome: Booking | Replay) -> Response:
    """201 with the booking, or the stored answer of an earlier request with the same key
    and body, byte for byte, marked `Idempotent-Replayed: true`."""
    if isinstance(outcome, Replay):
        return json_response(
            outcome.body, outcome.status_code, headers={"Idempotent-Replayed": "true"}
        )
    # Rendered by the same function whose bytes a replay of this request sends.
    return json_response(render_booking(outcome), 201)
