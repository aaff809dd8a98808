"""POST /bookings (R-35): one step, one transaction, the same guards as hold + confirm."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from roomtime.settings import BookingSettings
from tests.api.bookings.conftest import at, open_booking_app
from tests.api.specialists.conftest import Studio, open_studio
from tests.factories.resources import slot_statuses
from tests.services import ServiceUrls

pytestmark = pytest.mark.api


async def _bookings(studio: Studio) -> list[tuple[Any, ...]]:
    rows = await studio.app.session.execute(
        text("SELECT status, starts_at, ends_at FROM booking ORDER BY id")
    )
    return [tuple(r) for r in rows]


async def test_a_service_booking_takes_the_service_duration_and_is_confirmed(
    studio: Studio,
) -> None:
    client = await studio.app.caller()
    answer = await studio.book(client, service_id=studio.service["id"], starts_at=at(9).isoformat())
    assert answer.status_code == 201, answer.text
    booking = answer.json()
    assert booking["status"] == "confirmed"
    assert booking["resource_id"] == studio.specialist["resource_id"]
    assert booking["starts_at"].startswith("2030-01-07T09:00")
    assert booking["ends_at"].startswith("2030-01-07T10:30")
    statuses = await slot_statuses(
        studio.app.session, studio.specialist["resource_id"], at(8), at(12)
    )
    assert [statuses[at(h, m)] for h, m in ((9, 0), (9, 30), (10, 0))] == ["booked"] * 3
    assert statuses[at(8, 30)] == statuses[at(10, 30)] == "available"
    actions = (
        (await studio.app.session.execute(text("SELECT action FROM audit_log"))).scalars().all()
    )
    assert actions.count("booking.held") == actions.count("booking.confirmed") == 1
    [mail] = await studio.app.inbox.wait_for(1)
    assert "confirmed" in mail["Subject"]
    day = await studio.slots(service_id=studio.service["id"])
    assert [s["starts_at"][11:16] for s in day["slots"]] == ["10:30"]


async def test_a_range_booking_of_any_resource(studio: Studio) -> None:
    client = await studio.app.caller()
    room = await studio.app.resource()
    answer = await studio.book(
        client, resource_id=room, starts_at=at(10).isoformat(), ends_at=at(12).isoformat()
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "confirmed" and answer.json()["party_size"] == 1


async def test_a_taken_range_is_409_and_leaves_nothing_behind(studio: Studio) -> None:
    first, second = await studio.app.caller(), await studio.app.caller()
    won = await studio.book(first, service_id=studio.service["id"], starts_at=at(9).isoformat())
    assert won.status_code == 201
    # Overlaps the first booking's last slot only.
    lost = await studio.book(second, service_id=studio.service["id"], starts_at=at(10).isoformat())
    assert lost.status_code == 409 and lost.json()["code"] == "slots_unavailable"
    assert await _bookings(studio) == [("confirmed", at(9), at(10, 30))]
    held = await studio.app.hold(second, studio.specialist["resource_id"], at(11), at(11, 30))
    assert held.status_code == 201
    blocked = await studio.book(
        first, service_id=studio.service["id"], starts_at=at(10, 30).isoformat()
    )
    assert blocked.status_code == 409 and blocked.json()["code"] == "slots_unavailable"
    statuses = await slot_statuses(
        studio.app.session, studio.specialist["resource_id"], at(10, 30), at(11)
    )
    assert list(statuses.values()) == ["available"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"service_id": 999_999, "starts_at": "2030-01-07T09:00:00+00:00"}, 404,
         "service_not_found"),
        ({"starts_at": "2030-01-07T09:10:00+00:00"}, 422, "not_aligned"),
        ({"starts_at": "2030-01-07T11:00:00+00:00"}, 422, "outside_opening_hours"),
        ({"starts_at": "2030-01-07T06:00:00+00:00"}, 422, "starts_in_past"),
        ({"starts_at": "2030-01-07T09:00:00"}, 422, "validation_error"),
        ({"resource_id": 1, "starts_at": "2030-01-07T09:00:00+00:00"}, 422, "validation_error"),
        ({"ends_at": "2030-01-07T11:00:00+00:00", "starts_at": "2030-01-07T09:00:00+00:00"},
         422, "validation_error"),
        ({}, 422, "validation_error"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_clear_4xx_and_books_nothing(
    studio: Studio, body: dict[str, Any], status: int, code: str
) -> None:
    client = await studio.app.caller()
    if "resource_id" not in body:
        body = {"service_id": studio.service["id"], **body}
    answer = await studio.book(client, **body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code
    assert await _bookings(studio) == []


async def test_retired_services_and_inactive_specialists_are_refused(studio: Studio) -> None:
    client, pro = await studio.app.caller(), studio.pro
    sid = studio.service["id"]
    off_grid = await studio.client.put(
        f"/resources/{studio.specialist['resource_id']}",
        json={"slot_minutes": 60},
        headers=studio.admin.headers,
    )
    assert off_grid.status_code == 200
    answer = await studio.book(client, service_id=sid, starts_at=at(9).isoformat())
    assert answer.status_code == 422 and answer.json()["code"] == "duration_not_on_grid"
    await studio.client.patch(
        f"/specialists/me/services/{sid}", json={"is_active": False}, headers=pro.headers
    )
    answer = await studio.book(client, service_id=sid, starts_at=at(9).isoformat())
    assert answer.status_code == 422 and answer.json()["code"] == "service_inactive"
    await studio.client.patch(
        f"/specialists/me/services/{sid}", json={"is_active": True}, headers=pro.headers
    )
    await studio.client.delete(
        f"/resources/{studio.specialist['resource_id']}", headers=studio.admin.headers
    )
    answer = await studio.book(client, service_id=sid, starts_at=at(9).isoformat())
    assert answer.status_code == 422 and answer.json()["code"] == "specialist_inactive"
    assert await _bookings(studio) == []


async def test_idempotency_key_replays_and_refuses_another_body(studio: Studio) -> None:
    client = await studio.app.caller()
    body = {"service_id": studio.service["id"], "starts_at": at(9).isoformat()}
    first = await studio.book(client, key="book-1", **body)
    again = await studio.book(client, key='"book-1"', **body)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    other = await studio.book(client, key="book-1", **{**body, "starts_at": at(8).isoformat()})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    bad = await studio.book(client, key="bad key with spaces", **body)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_idempotency_key"
    assert len(await _bookings(studio)) == 1


async def test_the_confirm_rate_limit_applies(
    services: ServiceUrls, tmp_path: Any, session: Any, redis: object
) -> None:
    limits = BookingSettings(confirm_rate_limit="2/minute")
    async with open_booking_app(services, tmp_path, session, booking=limits) as app:
        studio = await open_studio(app)
        client = await app.caller()
        sid = studio.service["id"]
        answers = [
            await studio.book(client, service_id=sid, starts_at=at(h).isoformat()) for h in (8, 10)
        ]
        assert [a.status_code for a in answers] == [201, 201]
        third = await studio.book(client, service_id=sid, starts_at=at(11).isoformat())
        assert third.status_code == 429 and int(third.headers["retry-after"]) >= 1
        assert third.json()["code"] == "rate_limited"


async def test_the_specialist_sees_the_bookings_on_their_calendar(studio: Studio) -> None:
    ada, bob = await studio.app.caller(), await studio.app.caller()
    sid = studio.service["id"]
    first = (await studio.book(ada, service_id=sid, starts_at=at(8).isoformat())).json()
    second = (await studio.book(bob, service_id=sid, starts_at=at(8, day=1).isoformat())).json()
    room = await studio.app.resource()
    await studio.book(ada, resource_id=room, starts_at=at(8).isoformat(), ends_at=at(9).isoformat())
    cancelled = await studio.client.patch(f"/bookings/{first['id']}/cancel", headers=ada.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    async def ids(**params: Any) -> list[int]:
        page = await studio.client.get(
            "/bookings/specialists/me", params=params, headers=studio.pro.headers
        )
        assert page.status_code == 200, page.text
        return [b["id"] for b in page.json()["items"]]

    assert await ids() == [second["id"], first["id"]]
    assert await ids(status="confirmed") == [second["id"]]
    assert await ids(date_from="2030-01-08", date_to="2030-01-08") == [second["id"]]
    assert await ids(date_to="2030-01-07") == [first["id"]]
    assert await ids(limit=1, offset=1) == [first["id"]]
    plain = await studio.client.get("/bookings/specialists/me", headers=ada.headers)
    assert plain.status_code == 403
    by_admin = await studio.client.get(
        "/bookings/specialists/me",
        params={"specialist_id": studio.specialist["id"]},
        headers=studio.admin.headers,
    )
    assert by_admin.json()["total"] == 2
    me = await studio.client.get("/users/me", headers=studio.pro.headers)
    assert me.status_code == 200 and me.json()["role"] == "specialist"


async def test_a_refusal_in_the_confirm_step_rolls_back_the_hold_step_too(
    studio: Studio,
) -> None:
    """The key already names a confirmed booking of this user (made through confirm): the
    one-step booking's hold writes succeed, its confirm step is refused by the database's
    (user, key) uniqueness, and the whole transaction goes, the pending row and slots too."""
    client = await studio.app.caller()
    room = await studio.app.resource()
    held = await studio.app.hold(client, room, at(8), at(9))
    confirmed = await studio.app.confirm(client, held.json()["hold_id"], key="shared-key")
    assert confirmed.status_code == 201
    answer = await studio.book(
        client, key="shared-key", service_id=studio.service["id"], starts_at=at(9).isoformat()
    )
    assert answer.status_code == 422 and answer.json()["code"] == "idempotency_key_reused"
    rows = await studio.app.session.execute(
        text("SELECT resource_id, status FROM booking ORDER BY id")
    )
    assert [tuple(r) for r in rows] == [(room, "confirmed")]
    statuses = await slot_statuses(
        studio.app.session, studio.specialist["resource_id"], at(8), at(12)
    )
    assert set(statuses.values()) == {"available"}
    retry = await studio.book(client, service_id=studio.service["id"], starts_at=at(9).isoformat())
    assert retry.status_code == 201, retry.text
