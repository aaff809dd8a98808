"""Anonymous `GET /resources/{id}` answered before routing (domains/resources/resource_front):
the route's answer byte for byte, errors included, and only where the route would give it."""

from __future__ import annotations

import json

import httpx
import pytest

from roomtime.core.clock import FrozenClock
from roomtime.main import create_app
from roomtime.settings import Settings
from tests.api.resources.conftest import MakeResource, assert_problem

pytestmark = pytest.mark.api


def _comparable(response: httpx.Response) -> dict[str, str]:
    headers = dict(response.headers)
    headers.pop("x-request-id")
    return headers


async def test_the_front_answers_what_the_route_answers(
    client: httpx.AsyncClient, make_resource: MakeResource
) -> None:
    room = await make_resource()
    front = await client.get(f"/resources/{room['id']}")
    # A query string is not the canonical shape: the route answers it.
    routed = await client.get(f"/resources/{room['id']}?x=1")
    assert front.status_code == routed.status_code == 200
    assert front.content == routed.content
    assert front.json() == room
    assert _comparable(front) == _comparable(routed)
    assert set(_comparable(front)) == {"content-length", "content-type", "x-content-type-options"}


async def test_missing_and_deactivated_resources_are_the_routes_404(
    client: httpx.AsyncClient, make_resource: MakeResource, admin_headers: dict[str, str]
) -> None:
    room = await make_resource()
    await client.delete(f"/resources/{room['id']}", headers=admin_headers)
    for path in (f"/resources/{room['id']}", "/resources/987654321"):
        front = assert_problem(await client.get(path), 404, "resource_not_found")
        routed = assert_problem(await client.get(f"{path}?x=1"), 404, "resource_not_found")
        front.pop("request_id"), routed.pop("request_id")
        assert front == routed
    # An admin's token goes to the route, which shows them the deactivated resource.
    seen = await client.get(f"/resources/{room['id']}", headers=admin_headers)
    assert (seen.status_code, seen.json()["is_active"]) == (200, False)


async def test_tokens_and_other_spellings_go_to_the_route(
    client: httpx.AsyncClient, make_resource: MakeResource
) -> None:
    room = await make_resource()
    bad = {"Authorization": "Bearer not-a-token"}
    assert_problem(await client.get(f"/resources/{room['id']}", headers=bad), 401, "invalid_token")
    assert (await client.get(f"/resources/0{room['id']}")).json() == room
    assert_problem(await client.get("/resources/0"), 422, "validation_error")
    assert_problem(await client.get("/resources/99999999999999999999"), 422, "validation_error")


async def test_front_answers_are_logged_and_counted_under_the_route_template(
    settings: Settings,
    clean_db: None,
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
            capsys.readouterr()
            answers = [await c.get(f"/resources/{room['id']}") for _ in range(3)]
            missing = await c.get("/resources/987654321")
            lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip()]
            metrics = (await c.get("/metrics")).text
    access = [x for x in lines if x.get("event") == "request"]
    assert [x["request_id"] for x in access] == [
        r.headers["x-request-id"] for r in (*answers, missing)
    ]
    assert {x["route"] for x in access} == {"/resources/{resource_id}"}
    assert [x["status"] for x in access] == [200, 200, 200, 404]
    assert 'method="GET",route="/resources/{resource_id}",status="200"} 3.0' in metrics
    assert 'method="GET",route="/resources/{resource_id}",status="404"} 1.0' in metrics


async def test_the_list_is_the_routes_list(
    client: httpx.AsyncClient, make_resource: MakeResource
) -> None:
    for n in range(3):
        await make_resource(name=f"Listed {n}", capacity=2 + n)
    filtered = "q=Listed&min_capacity=3&limit=1&offset=1&sort=-capacity"
    front = await client.get(f"/resources?{filtered}")
    # A parameter the front does not know: the route answers (and ignores it).
    routed = await client.get(f"/resources?{filtered}&x=1")
    assert front.status_code == routed.status_code == 200
    assert front.content == routed.content
    assert _comparable(front) == _comparable(routed)
    assert [r["name"] for r in front.json()["items"]] == ["Listed 1"]
    assert (front.json()["total"], "x-cache" in front.headers) == (2, False)
    # The plain list is the cached one, through the front as through the route.
    plain = [await client.get("/resources"), await client.get("/resources?x=1")]
    assert [p.headers["x-cache"] for p in plain] == ["MISS", "HIT"]
    assert plain[0].content == plain[1].content


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=",
        "offset=-1",
        "offset=x",
        "min_capacity=0",
        "sort=bogus",
        "q=" + "x" * 500,
        "available_from=2030-01-08T12:00:00Z",
    ],
)
async def test_invalid_lists_are_the_routes_422(
    client: httpx.AsyncClient, make_resource: MakeResource, query: str
) -> None:
    await make_resource()
    assert_problem(await client.get(f"/resources?{query}"), 422, "validation_error")


async def test_repeated_parameters_and_tokens_go_to_the_route(
    client: httpx.AsyncClient, make_resource: MakeResource, member_headers: dict[str, str]
) -> None:
    for n in range(3):
        await make_resource(name=f"Listed {n}")
    assert (await client.get("/resources?limit=1&limit=2")).json()["limit"] == 2
    bad = {"Authorization": "Bearer not-a-token"}
    assert_problem(await client.get("/resources", headers=bad), 401, "invalid_token")
    assert_problem(
        await client.get("/resources?include_inactive=true", headers=member_headers),
        403,
        "forbidden",
    )
    mine = await client.get("/resources?limit=2", headers=member_headers)
    assert mine.content == (await client.get("/resources?limit=2")).content
