"""Hold and cancel write their JSON themselves (api.responses.model_response, json_response) instead of
handing a model to FastAPI: the bytes must be those of the documented response model."""

from __future__ import annotations

import pytest

from roomtime.domains.bookings.schemas import BookingRead, HoldRead
from tests.api.bookings.conftest import BookingApp, at

pytestmark = pytest.mark.api


async def test_a_hold_is_its_response_models_json(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    answer = await booking_app.hold(ada, room, at(10), at(12))
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == HoldRead.model_validate_json(answer.content).model_dump_json().encode()


async def test_a_cancel_is_its_response_models_json(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(12))
    answer = await booking_app.client.post(
        f"/bookings/{booking['id']}/cancel",
        json={"reason": "Réunion déplacée"},  # not ASCII: written as UTF-8, not escaped
        headers=ada.headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    rendered = BookingRead.model_validate_json(answer.content)
    assert (rendered.status, rendered.cancel_reason) == ("cancelled", "Réunion déplacée")
    assert answer.content == rendered.model_dump_json().encode()
    assert "Réunion".encode() in answer.content
