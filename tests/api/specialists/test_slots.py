"""GET /specialists/{id}/slots: the starts where a service's whole duration is free."""

from __future__ import annotations

import pytest

from tests.api.bookings.conftest import at
from tests.api.specialists.conftest import Studio

pytestmark = pytest.mark.api


def _times(day: dict[str, object]) -> list[str]:
    return [s["starts_at"][11:16] for s in day["slots"]]  # type: ignore[attr-defined,index]


async def test_a_90_minute_service_lists_only_starts_with_three_free_slots(
    studio: Studio,
) -> None:
    day = await studio.slots(service_id=studio.service["id"])
    assert day["specialist_id"] == studio.specialist["id"]
    assert day["service_id"] == studio.service["id"] and day["timezone"] == "UTC"
    assert day["date"] == "2030-01-07"
    # Open 08:00–12:00: the last 90-minute start is 10:30.
    assert _times(day) == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30"]
    first = day["slots"][0]
    assert first["ends_at"].startswith("2030-01-07T09:30")


async def test_a_slot_held_by_someone_else_in_the_middle_removes_those_starts(
    studio: Studio,
) -> None:
    other = await studio.app.caller()
    held = await studio.app.hold(other, studio.specialist["resource_id"], at(9, 30), at(10))
    assert held.status_code == 201, held.text
    day = await studio.slots(service_id=studio.service["id"])
    assert _times(day) == ["08:00", "10:00", "10:30"]
    single = await studio.slots()
    assert single["service_id"] is None
    assert "09:30" not in _times(single) and len(_times(single)) == 7


async def test_slots_refuse_bad_input_with_a_problem(studio: Studio) -> None:
    sid = studio.specialist["id"]
    missing = await studio.client.get(f"/specialists/{sid}/slots")
    assert missing.status_code == 422 and missing.json()["code"] == "validation_error"
    bad_day = await studio.client.get(f"/specialists/{sid}/slots", params={"date": "2030-02-30"})
    assert bad_day.status_code == 422
    unknown = await studio.client.get(
        f"/specialists/{sid}/slots", params={"date": "2030-01-07", "service_id": 999_999}
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "service_not_found"
    rival = await studio.app.caller()
    rival_id = (await studio.make_specialist(rival)).json()["id"]
    theirs = await studio.client.get(
        f"/specialists/{rival_id}/slots",
        params={"date": "2030-01-07", "service_id": studio.service["id"]},
    )
    assert theirs.status_code == 404 and theirs.json()["code"] == "service_not_found"
    mine = await studio.client.get(
        "/specialists/me/slots",
        params={"date": "2030-01-07", "service_id": studio.service["id"]},
        headers=studio.pro.headers,
    )
    assert mine.status_code == 200 and len(mine.json()["slots"]) == 6
