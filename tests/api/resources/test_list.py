"""GET /resources: pagination, sort, filters, availability ranges and the cached plain list."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from roomtime.core.clock import FrozenClock
from tests.api.resources.conftest import MakeResource, assert_problem

pytestmark = pytest.mark.api


def _names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["name"] for r in response.json()["items"]]


async def test_pagination_and_sort(
    client: httpx.AsyncClient, make_resource: MakeResource, frozen: FrozenClock
) -> None:
    for name, capacity in (("Cedar", 2), ("alder", 8), ("Birch", 4)):
        await make_resource(name=name, capacity=capacity)
        frozen.advance(minutes=1)
    page = (await client.get("/resources", params={"limit": 2, "offset": 1})).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [r["name"] for r in page["items"]] == ["Birch", "Cedar"]  # by name, any case
    assert _names(await client.get("/resources?sort=-name")) == ["Cedar", "Birch", "alder"]
    assert _names(await client.get("/resources?sort=capacity")) == ["Cedar", "Birch", "alder"]
    assert _names(await client.get("/resources?sort=-created_at")) == ["Birch", "alder", "Cedar"]
    assert (await client.get("/resources?offset=10")).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "password_hash"}, "query.sort"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
        ({"offset": -1}, "query.offset"),
        ({"min_capacity": 0}, "query.min_capacity"),
        ({"available_from": "2030-01-08T10:00:00"}, "query.available_from"),
        ({"available_from": "2030-01-08T10:00:00Z"}, "query"),
        (
            {"available_from": "2030-01-08T10:00:00Z", "available_to": "2030-01-08T10:00:00Z"},
            "query",
        ),
        (
            {"available_from": "2030-01-01T00:00:00Z", "available_to": "2030-02-02T00:00:00Z"},
            "query",
        ),
    ],
)
async def test_invalid_parameters(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    problem = assert_problem(await client.get("/resources", params=params), 422, "validation_error")
    assert field in [d["field"] for d in problem["details"]]


async def test_text_location_and_capacity_filters(
    client: httpx.AsyncClient, make_resource: MakeResource
) -> None:
    await make_resource(name="Window table", location="Trattoria Centrale", capacity=4)
    await make_resource(name="Terrace", location="Trattoria Centrale", capacity=8)
    await make_resource(name="Aurora", location="Berlin", capacity=8, description="TERRACE view")
    await make_resource(name="100% quiet", location="Library", capacity=1)

    assert _names(await client.get("/resources?q=terrace")) == ["Aurora", "Terrace"]
    assert _names(await client.get("/resources?q=CENTRALE")) == ["Terrace", "Window table"]
    assert _names(await client.get("/resources?q=%25")) == ["100% quiet"]  # % is literal
    assert _names(await client.get("/resources?q=_")) == []
    assert len(_names(await client.get("/resources?q=&location=%20"))) == 4  # blank: no filter
    assert _names(await client.get("/resources?location=trattoria centrale")) == [
        "Terrace",
        "Window table",
    ]
    assert _names(await client.get("/resources?location=Trattoria")) == []
    restaurant = await client.get(
        "/resources", params={"location": "Trattoria Centrale", "min_capacity": 5}
    )
    assert _names(restaurant) == ["Terrace"]
    assert restaurant.json()["total"] == 1


async def test_available_range_needs_every_slot_free(
    client: httpx.AsyncClient, make_resource: MakeResource, admin_headers: dict[str, str]
) -> None:
    free = await make_resource(name="Free")
    blocked = await make_resource(name="Blocked")
    await make_resource(
        name="Evenings",
        opening_hours=[{"weekday": d, "opens": "18:00", "closes": "23:00"} for d in range(7)],
    )
    await make_resource(name="Berlin", timezone="Europe/Berlin")  # 08:00 local = 07:00 UTC
    block = {"starts_at": "2030-01-08T11:00:00Z", "ends_at": "2030-01-08T12:00:00Z"}
    response = await client.post(
        f"/resources/{blocked['id']}/slots/block", json=block, headers=admin_headers
    )
    assert response.status_code == 200

    def window(start: str, end: str) -> dict[str, str]:
        return {"available_from": start, "available_to": end}

    morning = window("2030-01-08T10:00:00Z", "2030-01-08T13:00:00Z")
    assert _names(await client.get("/resources", params=morning)) == ["Berlin", "Free"]
    early = window("2030-01-08T07:00:00Z", "2030-01-08T09:00:00Z")
    assert _names(await client.get("/resources", params=early)) == ["Berlin"]
    offset = window("2030-01-08T11:00:00+01:00", "2030-01-08T12:00:00+01:00")  # 10-11 UTC
    assert _names(await client.get("/resources", params=offset)) == ["Berlin", "Blocked", "Free"]
    unaligned = window("2030-01-08T10:30:00Z", "2030-01-08T11:30:00Z")
    assert _names(await client.get("/resources", params=unaligned)) == []
    past = window("2030-01-07T07:00:00Z", "2030-01-07T08:00:00Z")  # before now
    assert _names(await client.get("/resources", params=past)) == []
    assert free["id"]


async def test_plain_list_is_cached_and_refreshed_by_changes(
    client: httpx.AsyncClient, make_resource: MakeResource, admin_headers: dict[str, str]
) -> None:
    first = await make_resource(name="First")
    miss = await client.get("/resources")
    assert miss.headers["x-cache"] == "MISS"
    hit = await client.get("/resources")
    assert hit.headers["x-cache"] == "HIT" and hit.json() == miss.json()
    assert (await client.get("/resources?limit=5")).headers["x-cache"] == "MISS"

    await make_resource(name="Second")
    after_create = await client.get("/resources")
    assert after_create.headers["x-cache"] == "MISS"
    assert [r["name"] for r in after_create.json()["items"]] == ["First", "Second"]

    body = {"name": "Renamed", "location": "HQ", "capacity": 4}
    await client.put(f"/resources/{first['id']}", json=body, headers=admin_headers)
    assert _names(await client.get("/resources")) == ["Renamed", "Second"]
    await client.delete(f"/resources/{first['id']}", headers=admin_headers)
    assert _names(await client.get("/resources")) == ["Second"]


async def test_filtered_and_admin_lists_are_never_cached(
    client: httpx.AsyncClient, make_resource: MakeResource, admin_headers: dict[str, str]
) -> None:
    await make_resource()
    for _ in range(2):
        assert "x-cache" not in (await client.get("/resources?q=room")).headers
        inactive = await client.get("/resources?include_inactive=true", headers=admin_headers)
        assert "x-cache" not in inactive.headers
