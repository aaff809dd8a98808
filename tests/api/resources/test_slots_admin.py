"""POST /resources/{id}/slots, /slots/block and /slots/unblock (admin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.resources.conftest import NOW, MakeResource, assert_problem
from tests.factories.auth import Caller
from tests.factories.resources import occupy

pytestmark = pytest.mark.api

T = datetime(2030, 1, 8, tzinfo=UTC)


def _range(start_hour: int, end_hour: int) -> dict[str, str]:
    return {
        "starts_at": (T + timedelta(hours=start_hour)).isoformat(),
        "ends_at": (T + timedelta(hours=end_hour)).isoformat(),
    }


async def _free_hours(client: httpx.AsyncClient, room: dict[str, Any]) -> list[int]:
    body = (await client.get(f"/resources/{room['id']}/availability?date=2030-01-08")).json()
    return [int(s["starts_at"][11:13]) for s in body["slots"]]


async def test_generate_slots_for_days_beyond_the_horizon(
    client: httpx.AsyncClient,
    make_resource: MakeResource,
    admin_headers: dict[str, str],
    session: AsyncSession,
) -> None:
    room = await make_resource()
    url = f"/resources/{room['id']}/slots"
    far = "/resources/{}/availability?date=2030-03-01".format(room["id"])
    assert (await client.get(far)).json()["slots"] == []
    days = {"date_from": "2030-03-01", "date_to": "2030-03-02"}
    created = await client.post(url, json=days, headers=admin_headers)
    assert created.status_code == 201 and created.json() == {"created": 24}
    assert len((await client.get(far)).json()["slots"]) == 12
    again = await client.post(url, json=days, headers=admin_headers)
    assert again.json() == {"created": 0}
    inside = await client.post(
        url, json={"date_from": "2030-01-07", "date_to": "2030-01-08"}, headers=admin_headers
    )
    assert inside.json() == {"created": 0}  # already there, and the past is not generated
    actions = (
        (await session.execute(text("SELECT meta FROM audit_log WHERE action = 'slots.generated'")))
        .scalars()
        .all()
    )
    assert [m["created"] for m in actions] == [24, 0, 0]


@pytest.mark.parametrize(
    "days",
    [
        {"date_from": "2030-03-02", "date_to": "2030-03-01"},
        {"date_from": "2030-01-01", "date_to": "2031-01-02"},
        {"date_from": "2030-03-01"},
        {"date_from": "2030-03-01", "date_to": "next week"},
    ],
)
async def test_generate_validation(
    client: httpx.AsyncClient,
    make_resource: MakeResource,
    admin_headers: dict[str, str],
    days: dict[str, str],
) -> None:
    room = await make_resource()
    response = await client.post(f"/resources/{room['id']}/slots", json=days, headers=admin_headers)
    assert_problem(response, 422, "validation_error")


async def test_slot_routes_need_an_admin_and_a_resource(
    client: httpx.AsyncClient,
    make_resource: MakeResource,
    admin_headers: dict[str, str],
    member_headers: dict[str, str],
) -> None:
    room = await make_resource()
    days = {"date_from": "2030-03-01", "date_to": "2030-03-01"}
    for suffix, body in (("", days), ("/block", _range(8, 9)), ("/unblock", _range(8, 9))):
        url = f"/resources/{room['id']}/slots{suffix}"
        assert_problem(await client.post(url, json=body), 401, "not_authenticated")
        assert_problem(await client.post(url, json=body, headers=member_headers), 403, "forbidden")
        missing = f"/resources/9999/slots{suffix}"
        assert_problem(
            await client.post(missing, json=body, headers=admin_headers), 404, "resource_not_found"
        )


async def test_block_and_unblock(
    client: httpx.AsyncClient,
    make_resource: MakeResource,
    admin_headers: dict[str, str],
    session: AsyncSession,
) -> None:
    room = await make_resource()
    url = f"/resources/{room['id']}/slots"
    # 10:30-11:30 overlaps the 10:00 and the 11:00 slot.
    partial = {"starts_at": "2030-01-08T11:30:00+01:00", "ends_at": "2030-01-08T12:30:00+01:00"}
    assert (await client.post(f"{url}/block", json=partial, headers=admin_headers)).json() == {
        "changed": 2
    }
    assert 10 not in await _free_hours(client, room) and 11 not in await _free_hours(client, room)
    again = await client.post(f"{url}/block", json=partial, headers=admin_headers)
    assert again.json() == {"changed": 0}
    freed = await client.post(f"{url}/unblock", json=_range(0, 24), headers=admin_headers)
    assert freed.json() == {"changed": 2}
    assert await _free_hours(client, room) == list(range(8, 20))
    actions = (
        (await session.execute(text("SELECT action FROM audit_log WHERE action LIKE 'slots.%'")))
        .scalars()
        .all()
    )
    assert actions == ["slots.blocked", "slots.blocked", "slots.unblocked"]


async def test_booked_or_held_slots_cannot_be_blocked(
    client: httpx.AsyncClient,
    make_resource: MakeResource,
    admin_headers: dict[str, str],
    member: Caller,
    session: AsyncSession,
) -> None:
    room = await make_resource()
    url = f"/resources/{room['id']}/slots/block"
    await occupy(
        session,
        user_id=member.user.id,
        resource_id=room["id"],
        starts_at=T + timedelta(hours=10),
        ends_at=T + timedelta(hours=11),
    )
    await occupy(
        session,
        user_id=member.user.id,
        resource_id=room["id"],
        starts_at=T + timedelta(hours=14),
        ends_at=T + timedelta(hours=15),
        status="pending",
        expires_at=NOW + timedelta(minutes=5),
    )
    await occupy(
        session,
        user_id=member.user.id,
        resource_id=room["id"],
        starts_at=T + timedelta(hours=17),
        ends_at=T + timedelta(hours=18),
        status="pending",
        expires_at=NOW - timedelta(minutes=1),
    )

    booked = assert_problem(
        await client.post(url, json=_range(9, 12), headers=admin_headers), 409, "slots_booked"
    )
    assert len(booked["slot_ids"]) == 1
    assert_problem(
        await client.post(url, json=_range(13, 16), headers=admin_headers), 409, "slots_booked"
    )
    assert 9 in await _free_hours(client, room) and 13 in await _free_hours(
        client, room
    )  # all or nothing
    expired = await client.post(url, json=_range(17, 18), headers=admin_headers)
    assert expired.json() == {"changed": 1}  # an expired hold blocks nobody
    status, booking = (
        await session.execute(
            text(
                "SELECT status, booking_id FROM time_slot WHERE resource_id = :r AND starts_at = :s"
            ),
            {"r": room["id"], "s": T + timedelta(hours=17)},
        )
    ).one()
    assert (status, booking) == ("blocked", None)


@pytest.mark.parametrize(
    "body",
    [
        {"starts_at": "2030-01-08T10:00:00", "ends_at": "2030-01-08T11:00:00Z"},
        {"starts_at": "2030-01-08T11:00:00Z", "ends_at": "2030-01-08T11:00:00Z"},
        {"starts_at": "2030-01-08T11:00:00Z", "ends_at": "2031-02-08T11:00:00Z"},
        {"starts_at": "2030-01-08T11:00:00Z"},
    ],
)
async def test_block_validation(
    client: httpx.AsyncClient,
    make_resource: MakeResource,
    admin_headers: dict[str, str],
    body: dict[str, str],
) -> None:
    room = await make_resource()
    for action in ("block", "unblock"):
        response = await client.post(
            f"/resources/{room['id']}/slots/{action}", json=body, headers=admin_headers
        )
        assert_problem(response, 422, "validation_error")
