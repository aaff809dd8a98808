"""Every date and datetime the API takes is bounded to 1970-01-01 … 9998-12-31 (UTC).

At the ends of the calendar, turning an offset into UTC or finding the next midnight
overflows `datetime`; those inputs were 500s. Now each is a 422 naming the field and the
range, and the last representable values inside the range still work.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import utcnow
from roomtime.settings import Settings
from tests.factories.auth import Caller, make_caller
from tests.factories.resources import every_day, make_resource

pytestmark = pytest.mark.api

RANGE = "between 1970-01-01 and 9998-12-31"


@pytest.fixture
async def user(session: AsyncSession, settings: Settings) -> Caller:
    return await make_caller(session, settings, email="dates@example.com")


@pytest.fixture
async def boss(session: AsyncSession, settings: Settings) -> Caller:
    return await make_caller(session, settings, role="admin", email="dates-admin@example.com")


@pytest.fixture
async def resource_id(session: AsyncSession) -> int:
    resource = await make_resource(
        session, utcnow, horizon_days=2, opening_hours=every_day("00:00", "24:00")
    )
    await session.commit()
    return resource.id


def assert_out_of_range(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    fields = {d["field"]: d for d in body["details"]}
    assert field in fields, body
    assert RANGE in fields[field]["message"]
    assert fields[field]["type"] in {"date_out_of_range", "datetime_out_of_range"}
    assert field in body["detail"] and RANGE in body["detail"]


def hold_body(resource_id: int, start: str, end: str) -> dict[str, Any]:
    return {"resource_id": resource_id, "starts_at": start, "ends_at": end}


# -- the examples of the issue --------------------------------------------------------------


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "9999-12-31T23:00:00-05:00"])
async def test_my_bookings_date_to_at_the_ends_of_the_calendar(
    app_client: httpx.AsyncClient, user: Caller, value: str
) -> None:
    response = await app_client.get("/bookings/me", params={"date_to": value}, headers=user.headers)
    assert_out_of_range(response, "query.date_to")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-31T23:00:00-05:00", "9999-12-31T23:30:00-05:00"),
        ("0001-01-01T00:30:00+01:00", "0001-01-01T01:30:00+01:00"),
        ("0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z"),
    ],
)
async def test_hold_at_the_ends_of_the_calendar(
    app_client: httpx.AsyncClient, user: Caller, resource_id: int, start: str, end: str
) -> None:
    response = await app_client.post(
        "/bookings/hold", json=hold_body(resource_id, start, end), headers=user.headers
    )
    assert_out_of_range(response, "body.starts_at")


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01T00:30:00+01:00", "0001-01-01T02:30:00+01:00", "query.available_from"),
        ("9998-12-31T20:00:00Z", "9999-12-31T23:00:00-05:00", "query.available_to"),
    ],
)
async def test_resource_search_at_the_ends_of_the_calendar(
    app_client: httpx.AsyncClient, start: str, end: str, field: str
) -> None:
    response = await app_client.get(
        "/resources", params={"available_from": start, "available_to": end}
    )
    assert_out_of_range(response, field)


# -- the rest: every other date and datetime input ------------------------------------------


async def test_all_bookings_filters_are_bounded(
    app_client: httpx.AsyncClient, boss: Caller
) -> None:
    response = await app_client.get(
        "/bookings", params={"date_from": "1969-12-31"}, headers=boss.headers
    )
    assert_out_of_range(response, "query.date_from")


async def test_slot_days_are_bounded(
    app_client: httpx.AsyncClient, boss: Caller, resource_id: int
) -> None:
    response = await app_client.post(
        f"/resources/{resource_id}/slots",
        json={"date_from": "9999-12-30", "date_to": "9999-12-31"},
        headers=boss.headers,
    )
    assert_out_of_range(response, "body.date_from")


@pytest.mark.parametrize("action", ["block", "unblock"])
async def test_slot_time_ranges_are_bounded(
    app_client: httpx.AsyncClient, boss: Caller, resource_id: int, action: str
) -> None:
    response = await app_client.post(
        f"/resources/{resource_id}/slots/{action}",
        json={"starts_at": "9999-12-31T22:00:00-05:00", "ends_at": "9999-12-31T23:00:00-05:00"},
        headers=boss.headers,
    )
    assert_out_of_range(response, "body.starts_at")


async def test_report_days_are_bounded(app_client: httpx.AsyncClient, boss: Caller) -> None:
    response = await app_client.get(
        "/reports/utilization", params={"date_to": "9999-12-31"}, headers=boss.headers
    )
    assert_out_of_range(response, "query.date_to")


async def test_availability_day_is_bounded(app_client: httpx.AsyncClient, resource_id: int) -> None:
    response = await app_client.get(
        f"/resources/{resource_id}/availability", params={"date": "0001-01-01"}
    )
    assert_out_of_range(response, "query.date")


async def test_read_only_timestamps_sent_back_are_bounded(
    app_client: httpx.AsyncClient, boss: Caller, resource_id: int
) -> None:
    response = await app_client.put(
        f"/resources/{resource_id}",
        json={"created_at": "0001-01-01T00:00:00+01:00"},
        headers=boss.headers,
    )
    assert_out_of_range(response, "body.created_at")


@pytest.mark.parametrize("value", [1893456000, "1893456000", "2030-01-08", "next tuesday"])
async def test_instants_are_iso_text_with_an_offset(
    app_client: httpx.AsyncClient, user: Caller, resource_id: int, value: object
) -> None:
    body = {**hold_body(resource_id, "2030-01-08T10:00:00Z", "2030-01-08T11:00:00Z")}
    body["starts_at"] = value
    response = await app_client.post("/bookings/hold", json=body, headers=user.headers)
    assert response.status_code == 422, response.text
    [detail] = response.json()["details"]
    assert detail["field"] == "body.starts_at" and detail["type"] == "datetime_format"


# -- the edges inside the range still work --------------------------------------------------


async def test_the_last_day_in_range_is_accepted_everywhere(
    app_client: httpx.AsyncClient, user: Caller, boss: Caller, resource_id: int
) -> None:
    last = {"date_from": "1970-01-01", "date_to": "9998-12-31"}
    mine = await app_client.get("/bookings/me", params=last, headers=user.headers)
    assert mine.status_code == 200, mine.text
    late = {"date_to": "9998-12-31T23:59:59-00:00", "date_from": "1970-01-01T00:00:00+00:00"}
    everyone = await app_client.get("/bookings", params=late, headers=boss.headers)
    assert everyone.status_code == 200, everyone.text
    report = await app_client.get("/reports/utilization", params=last, headers=boss.headers)
    assert report.status_code == 200, report.text
    day = await app_client.get(
        f"/resources/{resource_id}/availability", params={"date": "9998-12-31"}
    )
    assert day.status_code == 200 and day.json()["slots"] == []
    search = await app_client.get(
        "/resources",
        params={"available_from": "9998-12-31T00:00:00Z", "available_to": "9998-12-31T23:00Z"},
    )
    assert search.status_code == 200 and search.json()["items"] == []


async def test_a_hold_on_the_last_hour_in_range_is_an_ordinary_refusal(
    app_client: httpx.AsyncClient, user: Caller, resource_id: int
) -> None:
    # +14:00 is the largest offset in use: the same instant as 9998-12-31T10:00Z.
    start = "9999-01-01T00:00:00+14:00"
    response = await app_client.post(
        "/bookings/hold",
        json=hold_body(resource_id, start, "9999-01-01T01:00:00+14:00"),
        headers=user.headers,
    )
    # No slots exist there (and none can be generated past the horizon): a plain 4xx.
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "outside_opening_hours"


async def test_slot_admin_at_the_last_day_in_range(
    app_client: httpx.AsyncClient, boss: Caller, resource_id: int
) -> None:
    created = await app_client.post(
        f"/resources/{resource_id}/slots",
        json={"date_from": "9998-12-31", "date_to": "9998-12-31"},
        headers=boss.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["created"] == 24
    blocked = await app_client.post(
        f"/resources/{resource_id}/slots/block",
        json={"starts_at": "9998-12-31T22:00:00Z", "ends_at": "9998-12-31T23:59:59.999999Z"},
        headers=boss.headers,
    )
    assert blocked.status_code == 200 and blocked.json()["changed"] == 2, blocked.text


async def test_the_first_instant_in_range_is_in_the_past(
    app_client: httpx.AsyncClient, user: Caller, resource_id: int
) -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    response = await app_client.post(
        "/bookings/hold",
        json=hold_body(resource_id, epoch.isoformat(), (epoch + timedelta(hours=1)).isoformat()),
        headers=user.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "starts_in_past"
