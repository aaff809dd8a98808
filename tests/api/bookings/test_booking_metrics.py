"""/metrics counts committed booking transitions and availability cache lookups; a refused
hold counts nothing."""

from __future__ import annotations

import pytest

from roomtime.core import metrics
from tests.api.bookings.conftest import BookingApp, at

pytestmark = pytest.mark.api


def _events() -> dict[str, float]:
    return {e: metrics.BOOKING_EVENTS.labels(e)._value.get() for e in metrics.BOOKING_EVENT_NAMES}


def _sample(text: str, line_start: str) -> float:
    [line] = [line for line in text.splitlines() if line.startswith(line_start)]
    return float(line.rsplit(" ", 1)[1])


async def test_holds_confirms_and_cancels_are_counted_once_committed(
    booking_app: BookingApp,
) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    before = _events()
    hold = (await booking_app.hold(ada, room, at(10), at(11))).json()
    assert (await booking_app.confirm(ada, hold["hold_id"])).status_code == 201
    # The same slot again: refused, and a refused (rolled back) hold is not a hold.
    assert (await booking_app.hold(bob, room, at(10), at(11))).status_code == 409
    cancelled = await booking_app.client.post(
        f"/bookings/{hold['hold_id']}/cancel", headers=ada.headers
    )
    assert cancelled.status_code == 200
    after = _events()
    assert {e: after[e] - before[e] for e in after} == {
        "hold": 1,
        "confirm": 1,
        "cancel": 1,
        "expire": 0,
    }
    text = (await booking_app.client.get("/metrics")).text
    assert _sample(text, 'roomtime_booking_events_total{event="hold"}') == after["hold"]
    assert _sample(text, 'roomtime_dependency_up{dependency="redis"}') == 1
    assert _sample(text, 'roomtime_dependency_up{dependency="database"}') == 1


async def test_availability_reads_count_cache_misses_then_hits(booking_app: BookingApp) -> None:
    room = await booking_app.resource()
    hits = metrics.CACHE_LOOKUPS.labels("hit")._value.get()
    misses = metrics.CACHE_LOOKUPS.labels("miss")._value.get()
    url = f"/resources/{room}/availability?date={at(10).date().isoformat()}"
    for _ in range(3):
        assert (await booking_app.client.get(url)).status_code == 200
    assert metrics.CACHE_LOOKUPS.labels("miss")._value.get() - misses >= 1
    assert metrics.CACHE_LOOKUPS.labels("hit")._value.get() - hits >= 1
