"""One account cannot hoard the calendar: holds per minute, live holds and future bookings
per resource are capped per user (R-30)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.settings import BookingSettings
from tests.api.bookings.conftest import BookingApp, at, open_booking_app
from tests.services import ServiceUrls

pytestmark = pytest.mark.api


async def _live_holds(booking_app: BookingApp, user_id: int) -> int:
    count = await booking_app.session.scalar(
        text(
            "SELECT count(*) FROM booking WHERE user_id = :u AND status = 'pending' "
            "AND expires_at > :now"
        ),
        {"u": user_id, "now": booking_app.clock()},
    )
    await booking_app.session.commit()
    return int(count)


async def test_a_sixth_live_hold_is_409_too_many_holds(booking_app: BookingApp) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    for hour in range(10, 15):
        assert (await booking_app.hold(ada, room, at(hour), at(hour + 1))).status_code == 201
    refused = await booking_app.hold(ada, room, at(15), at(16))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["code"] == "too_many_holds" and problem["limit"] == 5
    assert "5 live holds" in problem["detail"]
    assert await _live_holds(booking_app, ada.user.id) == 5
    # The cap is per account: someone else holds the same range at once.
    assert (await booking_app.hold(bob, room, at(15), at(16))).status_code == 201


async def test_cancelling_or_confirming_a_hold_makes_room_for_another(
    booking_app: BookingApp,
) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    holds = [(await booking_app.hold(ada, room, at(h), at(h + 1))).json() for h in range(10, 15)]
    assert (await booking_app.hold(ada, room, at(15), at(16))).status_code == 409
    cancel = await booking_app.client.post(
        f"/bookings/{holds[0]['hold_id']}/cancel", headers=ada.headers
    )
    assert cancel.status_code == 200
    assert (await booking_app.hold(ada, room, at(15), at(16))).status_code == 201
    assert (await booking_app.confirm(ada, holds[1]["hold_id"])).status_code == 201
    assert (await booking_app.hold(ada, room, at(16), at(17))).status_code == 201


async def test_expired_holds_count_for_nothing_before_any_sweep(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    for hour in range(10, 15):
        assert (await booking_app.hold(ada, room, at(hour), at(hour + 1))).status_code == 201
    booking_app.advance(seconds=301)  # all five ran out; no release-holds job has run
    pending = await booking_app.session.scalar(
        text("SELECT count(*) FROM booking WHERE status = 'pending'")
    )
    await booking_app.session.commit()
    assert pending == 5
    for hour in range(15, 20):
        assert (await booking_app.hold(ada, room, at(hour), at(hour + 1))).status_code == 201
    sixth = await booking_app.hold(ada, room, at(10), at(12))  # over two expired holds
    assert sixth.json()["code"] == "too_many_holds"


async def test_thirty_holds_a_minute_then_429_with_retry_after(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    # Refused attempts count too (the limit protects the server, not the calendar): after
    # five holds the rest are 409, yet each one used up the minute's budget.
    statuses = [
        (await booking_app.hold(ada, room, at(10 + n % 10), at(11 + n % 10))).status_code
        for n in range(30)
    ]
    assert statuses.count(201) == 5 and 429 not in statuses
    limited = await booking_app.hold(ada, room, at(10), at(11))
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    bob = await booking_app.caller()
    assert (await booking_app.hold(bob, room, at(19), at(20))).status_code == 201


@pytest.fixture
async def capped_app(
    services: ServiceUrls, tmp_path: Path, session: AsyncSession, redis: object
) -> AsyncIterator[BookingApp]:
    booking = BookingSettings(max_future_bookings_per_resource=2)
    async with open_booking_app(services, tmp_path, session, booking=booking) as found:
        yield found


async def test_future_bookings_per_resource_are_capped_when_configured(
    capped_app: BookingApp,
) -> None:
    ada = await capped_app.caller()
    room, other_room = await capped_app.resource(), await capped_app.resource()
    await capped_app.book(ada, room, at(10), at(11))
    assert (await capped_app.hold(ada, room, at(12), at(13))).status_code == 201  # pending counts
    refused = await capped_app.hold(ada, room, at(14), at(15))
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "booking_limit_reached" and problem["limit"] == 2
    assert "2 " in problem["detail"]
    # Per resource: another room is fine.
    assert (await capped_app.hold(ada, other_room, at(14), at(15))).status_code == 201


async def test_ended_cancelled_and_expired_bookings_do_not_count(capped_app: BookingApp) -> None:
    ada = await capped_app.caller()
    room = await capped_app.resource()
    await capped_app.book(ada, room, at(8), at(9))
    second = await capped_app.book(ada, room, at(18), at(19))
    assert (await capped_app.hold(ada, room, at(12), at(13))).json()["code"] == (
        "booking_limit_reached"
    )
    cancel = await capped_app.client.post(f"/bookings/{second['id']}/cancel", headers=ada.headers)
    assert cancel.status_code == 200
    hold = await capped_app.hold(ada, room, at(12), at(13))
    assert hold.status_code == 201
    capped_app.advance(hours=1, minutes=30)  # 08:30: the hold expired, the first is running
    later = await capped_app.hold(ada, room, at(14), at(15))
    assert later.status_code == 201
    assert (await capped_app.confirm(ada, later.json()["hold_id"])).status_code == 201
    assert (await capped_app.hold(ada, room, at(16), at(17))).status_code == 409
    capped_app.advance(minutes=31)  # 09:01: the first booking has ended
    assert (await capped_app.hold(ada, room, at(16), at(17))).status_code == 201
    assert (await capped_app.hold(ada, room, at(17), at(18))).status_code == 409


async def test_the_future_bookings_cap_is_off_by_default(booking_app: BookingApp) -> None:
    assert booking_app.settings.booking.max_future_bookings_per_resource == 0
    ada = await booking_app.caller()
    room = await booking_app.resource()
    for hour in range(10, 17):
        await booking_app.book(ada, room, at(hour), at(hour + 1))
    assert (await booking_app.hold(ada, room, at(17), at(18))).status_code == 201
