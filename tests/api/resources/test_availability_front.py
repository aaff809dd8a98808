"""Anonymous availability requests answered before routing (domains/resources/availability_front):
the same answer as the route's, and only where the route would give it."""

from __future__ import annotations

import json

import httpx
import pytest
from redis.asyncio import Redis

from roomtime.core.clock import FrozenClock
from roomtime.main import create_app
from roomtime.settings import Settings
from tests.api.resources.conftest import MakeResource, assert_problem

pytestmark = pytest.mark.api

DAY = "2030-01-08"


def _comparable(response: httpx.Response) -> dict[str, str]:
    headers = dict(response.headers)
    headers.pop("x-request-id")
    return headers


async def test_a_front_hit_is_the_routes_hit_byte_for_byte(
    client: httpx.AsyncClient, make_resource: MakeResource
) -> None:
    room = await make_resource()
    url = f"/resources/{room['id']}/availability"
    miss = await client.get(f"{url}?date={DAY}")
    front = await client.get(f"{url}?date={DAY}")
    # An extra query parameter is not the canonical shape: the route answers the same hit.
    routed = await client.get(f"{url}?date={DAY}&x=1")
    assert [r.headers["x-cache"] for r in (miss, front, routed)] == ["MISS", "HIT", "HIT"]
    assert front.content == routed.content == miss.content
    assert _comparable(front) == _comparable(routed)
    assert set(_comparable(front)) == {
        "content-length",
        "content-type",
        "x-cache",
        "x-content-type-options",
    }
    assert len(front.headers["x-request-id"]) == 32


async def test_a_token_always_goes_to_the_route(
    client: httpx.AsyncClient, make_resource: MakeResource, member_headers: dict[str, str]
) -> None:
    room = await make_resource()
    url = f"/resources/{room['id']}/availability?date={DAY}"
    await client.get(url)  # cached
    bad = {"Authorization": "Bearer not-a-token"}
    assert_problem(await client.get(url, headers=bad), 401, "invalid_token")
    good = await client.get(url, headers=member_headers)
    assert (good.status_code, good.headers["x-cache"]) == (200, "HIT")


@pytest.mark.parametrize(
    "query",
    ["date=2030-1-8", "date=2030-02-30", "date=20300108", "date=9999-12-31", "day=2030-01-08"],
)
async def test_other_spellings_are_validated_by_the_route(
    client: httpx.AsyncClient, make_resource: MakeResource, query: str
) -> None:
    room = await make_resource()
    await client.get(f"/resources/{room['id']}/availability?date={DAY}")
    response = await client.get(f"/resources/{room['id']}/availability?{query}")
    assert_problem(response, 422, "validation_error")


async def test_a_leading_zero_id_is_the_routes_to_answer(
    client: httpx.AsyncClient, make_resource: MakeResource
) -> None:
    room = await make_resource()
    await client.get(f"/resources/{room['id']}/availability?date={DAY}")
    response = await client.get(f"/resources/0{room['id']}/availability?date={DAY}")
    assert (response.status_code, response.headers["x-cache"]) == (200, "HIT")


async def test_front_hits_are_logged_and_counted_under_the_route_template(
    settings: Settings,
    clean_db: None,
    redis: Redis,
    frozen: FrozenClock,
    capsys: pytest.CaptureFixture[str],
    admin_headers: dict[str, str],
) -> None:
    app = create_app(settings, clock=frozen)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            body = {"name": "Front room", "location": "HQ", "capacity": 2}
            room = (await c.post("/resources", json=body, headers=admin_headers)).json()
            url = f"/resources/{room['id']}/availability?date={DAY}"
            await c.get(url)
            capsys.readouterr()
            hits = [await c.get(url) for _ in range(3)]
            lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip()]
            metrics = (await c.get("/metrics")).text
    assert [h.headers["x-cache"] for h in hits] == ["HIT"] * 3
    access = [x for x in lines if x.get("event") == "request"]
    assert [x["request_id"] for x in access] == [h.headers["x-request-id"] for h in hits]
    assert {x["route"] for x in access} == {"/resources/{resource_id}/availability"}
    assert {x["status"] for x in access} == {200}
    template = 'route="/resources/{resource_id}/availability",status="200"} 4.0'
    assert f'roomtime_http_requests_total{{method="GET",{template}' in metrics


async def test_a_miss_is_looked_up_once(
    client: httpx.AsyncClient, make_resource: MakeResource, redis: Redis
) -> None:
    room = await make_resource()
    url = f"/resources/{room['id']}/availability?date={DAY}"
    db = redis.connection_pool.connection_kwargs.get("db", 0)
    async with redis.monitor() as monitor:
        miss = await client.get(url)
        await redis.set("test:front:marker", "1")
        commands = []
        while True:
            seen = await monitor.next_command()
            if "test:front:marker" in seen["command"]:
                break
            # MONITOR shows every database of the server: other test workers' too.
            if seen["db"] == db:
                commands.append(seen["command"])
    assert miss.headers["x-cache"] == "MISS"
    day_key = f"avail:{room['id']}:{DAY}"
    lookups = [c for c in commands if c.startswith("MGET") and day_key in c]
    assert len(lookups) == 1, commands
