"""GET /reports/utilization: admins read the summary archive-bookings wrote; users cannot."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.domains.jobs.context import job_context
from roomtime.domains.reports.tasks import archive_bookings_job
from roomtime.settings import Settings
from tests.factories.auth import Caller
from tests.integration.jobs.test_archive_bookings import known_week

pytestmark = pytest.mark.api

URL = "/reports/utilization"


async def _summarised(session: AsyncSession, settings: Settings) -> tuple[int, int]:
    room, hall = await known_week(session)
    async with job_context(settings, FrozenClock(datetime(2030, 1, 7, 9, tzinfo=UTC))) as ctx:
        await archive_bookings_job(ctx)
    return room, hall


async def test_admin_reads_the_numbers_of_a_known_day(
    app_client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin: Caller
) -> None:
    room, hall = await _summarised(session, settings)

    answer = await app_client.get(
        URL, params={"date_from": "2030-01-06", "date_to": "2030-01-06"}, headers=admin.headers
    )

    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 20, 0)
    first, second = page["items"]
    assert {k: first[k] for k in first if k != "computed_at"} == {
        "resource_id": room,
        "date": "2030-01-06",
        "bookings": 2,
        "booked_minutes": 180,
        "open_minutes": 720,
        "utilization_pct": 25.0,
    }
    assert (second["resource_id"], second["utilization_pct"]) == (hall, 4.17)

    one = await app_client.get(URL, params={"resource_id": hall}, headers=admin.headers)
    assert [i["date"] for i in one.json()["items"]] == ["2030-01-05", "2030-01-06"]
    paged = await app_client.get(URL, params={"limit": 1, "offset": 3}, headers=admin.headers)
    assert paged.json()["total"] == 4 and len(paged.json()["items"]) == 1


async def test_users_are_refused_and_bad_dates_are_422(
    app_client: httpx.AsyncClient, admin: Caller, member: Caller
) -> None:
    refused = await app_client.get(URL, headers=member.headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await app_client.get(URL)).status_code == 401

    for params in (
        {"date_from": "2030-13-01"},
        {"date_from": "2030-01-07", "date_to": "2030-01-06"},
    ):
        bad = await app_client.get(URL, params=params, headers=admin.headers)
        assert bad.status_code == 422, params
        assert bad.json()["details"]
