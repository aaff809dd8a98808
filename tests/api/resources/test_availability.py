"""GET /resources/{id}/availability: shape, validation, X-Cache, invalidation, Redis down."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from roomtime.core.clock import FrozenClock
from roomtime.main import create_app
from roomtime.settings import RedisSettings, Settings
from tests.api.resources.conftest import MakeResource, assert_problem
from tests.conftest import make_settings
from tests.services import ServiceUrls
from tests.support.processes import closed_port

pytestmark = pytest.mark.api


async def test_a_berlin_day_in_utc(client: httpx.AsyncClient, make_resource: MakeResource) -> None:
    room = await make_resource(timezone="Europe/Berlin")
    response = await client.get(f"/resources/{room['id']}/availability?date=2030-01-08")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"resource_id", "date", "timezone", "slots"}
    assert (body["resource_id"], body["date"], body["timezone"]) == (
        room["id"],
        "2030-01-08",
        "Europe/Berlin",
    )
    assert len(body["slots"]) == 12
    first = body["slots"][0]
    assert {"id", "starts_at", "ends_at"} <= set(first)
    assert (first["starts_at"], first["ends_at"]) == (
        "2030-01-08T07:00:00Z",
        "2030-01-08T08:00:00Z",
    )


async def test_days_outside_the_horizon_are_empty(
    client: httpx.AsyncClient, make_resource: MakeResource
) -> None:
    room = await make_resource()
    for day in ("2029-12-31", "2030-03-01", "9998-12-31"):
        response = await client.get(f"/resources/{room['id']}/availability", params={"date": day})
        assert response.status_code == 200 and response.json()["slots"] == []


@pytest.mark.parametrize("day", ["2030-1-8", "2030-02-30", "tomorrow", "20300108", "9999-12-31"])
async def test_invalid_dates(
    client: httpx.AsyncClient, make_resource: MakeResource, day: str
) -> None:
    room = await make_resource()
    response = await client.get(f"/resources/{room['id']}/availability", params={"date": day})
    problem = assert_problem(response, 422, "validation_error")
    assert [d["field"] for d in problem["details"]] == ["query.date"]


async def test_missing_date_and_unknown_resource(
    client: httpx.AsyncClient, make_resource: MakeResource
) -> None:
    room = await make_resource()
    missing = assert_problem(
        await client.get(f"/resources/{room['id']}/availability"), 422, "validation_error"
    )
    assert missing["details"][0]["field"] == "query.date"
    assert_problem(
        await client.get("/resources/9999/availability?date=2030-01-08"), 404, "resource_not_found"
    )


async def test_cache_header_and_a_change_seen_by_the_next_read(
    client: httpx.AsyncClient, make_resource: MakeResource, admin_headers: dict[str, str]
) -> None:
    room = await make_resource()
    url = f"/resources/{room['id']}/availability?date=2030-01-08"
    miss = await client.get(url)
    hit = await client.get(url)
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("MISS", "HIT")
    assert hit.json() == miss.json()

    block = {"starts_at": "2030-01-08T08:00:00Z", "ends_at": "2030-01-08T10:00:00Z"}
    changed = await client.post(
        f"/resources/{room['id']}/slots/block", json=block, headers=admin_headers
    )
    assert changed.json() == {"changed": 2}
    after = await client.get(url)
    assert after.headers["x-cache"] == "MISS"
    assert [s["starts_at"][11:16] for s in after.json()["slots"]][:2] == ["10:00", "11:00"]

    other_day = f"/resources/{room['id']}/availability?date=2030-01-09"
    await client.get(other_day)
    body = {"name": room["name"], "location": "HQ", "capacity": 4, "slot_minutes": 30}
    await client.put(f"/resources/{room['id']}", json=body, headers=admin_headers)
    refreshed = await client.get(other_day)
    assert refreshed.headers["x-cache"] == "MISS" and len(refreshed.json()["slots"]) == 24


async def test_today_starts_now(
    client: httpx.AsyncClient, make_resource: MakeResource, frozen: FrozenClock
) -> None:
    room = await make_resource()
    frozen.advance(hours=3)  # 12:00 UTC
    slots = (await client.get(f"/resources/{room['id']}/availability?date=2030-01-07")).json()[
        "slots"
    ]
    assert slots[0]["starts_at"] == "2030-01-07T12:00:00Z" and len(slots) == 8


async def test_redis_down_answers_from_postgresql(
    services: ServiceUrls,
    tmp_path: Path,
    client: httpx.AsyncClient,
    make_resource: MakeResource,
    frozen: FrozenClock,
) -> None:
    room = await make_resource()
    settings = make_settings(
        services, tmp_path, redis=RedisSettings(redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    )
    app = create_app(settings, clock=frozen)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as down:
            answers = [
                await down.get(f"/resources/{room['id']}/availability?date=2030-01-08")
                for _ in range(2)
            ]
            listed = await down.get("/resources")
    for response in answers:
        assert response.status_code == 200
        assert response.headers["x-cache"] == "MISS"
        assert len(response.json()["slots"]) == 12
    assert listed.status_code == 200 and listed.json()["total"] == 1


async def test_a_hit_is_the_stored_bytes_and_touches_no_postgresql(
    settings: Settings, client: httpx.AsyncClient, make_resource: MakeResource, frozen: FrozenClock
) -> None:
    room = await make_resource()
    url = f"/resources/{room['id']}/availability?date=2030-01-08"
    app = create_app(settings, clock=frozen)
    async with app.router.lifespan_context(app):
        checkouts: list[object] = []
        pool = app.state.infra.engine.sync_engine
        event.listen(pool, "checkout", lambda *args: checkouts.append(args), named=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as fresh:
            miss = await fresh.get(url)
            used_by_miss = len(checkouts)
            hit = await fresh.get(url)
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("MISS", "HIT")
    assert used_by_miss >= 1 and len(checkouts) == used_by_miss  # the hit took no connection
    assert hit.content == miss.content
    assert hit.headers["content-type"] == "application/json"


async def test_a_cached_day_of_a_deactivated_resource_stays_for_admins_only(
    client: httpx.AsyncClient, make_resource: MakeResource, admin_headers: dict[str, str]
) -> None:
    room = await make_resource()
    url = f"/resources/{room['id']}/availability?date=2030-01-08"
    assert (await client.delete(f"/resources/{room['id']}", headers=admin_headers)).is_success
    seen = await client.get(url, headers=admin_headers)  # cached by the admin's read
    again = await client.get(url, headers=admin_headers)
    assert (seen.headers["x-cache"], again.headers["x-cache"]) == ("MISS", "HIT")
    assert_problem(await client.get(url), 404, "resource_not_found")


async def test_a_miss_after_a_change_of_the_resource_reads_its_new_facts(
    client: httpx.AsyncClient, make_resource: MakeResource, admin_headers: dict[str, str]
) -> None:
    # Misses remember the resource's time zone and visibility under its cache generation
    # (resources.facts_memo); a change bumps it, so the next miss of any day reads them anew.
    room = await make_resource(timezone="Europe/Berlin")
    url = f"/resources/{room['id']}/availability"
    before = await client.get(f"{url}?date=2030-01-08")
    changed = await client.put(
        f"/resources/{room['id']}", json={"timezone": "Asia/Tokyo"}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.text
    after = await client.get(f"{url}?date=2030-01-09")
    assert (before.json()["timezone"], after.json()["timezone"]) == ("Europe/Berlin", "Asia/Tokyo")
    assert (await client.delete(f"/resources/{room['id']}", headers=admin_headers)).is_success
    assert_problem(await client.get(f"{url}?date=2030-01-10"), 404, "resource_not_found")
