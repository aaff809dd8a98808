"""POST/GET/PUT/DELETE /resources: shapes, roles, validation, deactivation and audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.resources.conftest import MakeResource, assert_problem

pytestmark = pytest.mark.api

CONTRACT = {
    "id",
    "name",
    "location",
    "capacity",
    "description",
    "timezone",
    "slot_minutes",
    "hold_ttl_seconds",
    "max_hold_slots",
    "booking_mode",
    "opening_hours",
    "is_active",
    "file_url",
    "created_at",
    "updated_at",
}


async def test_create_with_defaults(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    response = await client.post(
        "/resources",
        json={"name": " Table 4 ", "location": "Trattoria", "capacity": 4},
        headers=admin_headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= CONTRACT and "cancel_deadline_minutes" in body
    assert body["name"] == "Table 4"
    assert body["timezone"] == "UTC" and body["slot_minutes"] == 60
    assert body["hold_ttl_seconds"] == 300 and body["max_hold_slots"] == 8
    assert body["booking_mode"] == "exclusive" and body["is_active"] is True
    assert body["opening_hours"] == [
        {"weekday": d, "opens": "08:00", "closes": "20:00"} for d in range(7)
    ]
    slots = await session.scalar(
        text("SELECT count(*) FROM time_slot WHERE resource_id = :r"), {"r": body["id"]}
    )
    assert slots == 30 * 12
    audit = await session.scalar(
        text("SELECT count(*) FROM audit_log WHERE action = 'resource.created'")
    )
    assert audit == 1


async def test_roles(client: httpx.AsyncClient, member_headers: dict[str, str]) -> None:
    body = {"name": "Room", "location": "HQ", "capacity": 2}
    assert_problem(await client.post("/resources", json=body), 401, "not_authenticated")
    assert_problem(
        await client.post("/resources", json=body, headers=member_headers), 403, "forbidden"
    )
    for method, path in (("PUT", "/resources/1"), ("DELETE", "/resources/1")):
        response = await client.request(
            method, path, json=body if method == "PUT" else None, headers=member_headers
        )
        assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "   "}, "body.name"),
        ({"location": ""}, "body.location"),
        ({"capacity": 0}, "body.capacity"),
        ({"slot_minutes": 7}, "body.slot_minutes"),
        ({"slot_minutes": 2880}, "body.slot_minutes"),
        ({"timezone": "Mars/Olympus"}, "body.timezone"),
        ({"hold_ttl_seconds": 0}, "body.hold_ttl_seconds"),
        (
            {"opening_hours": [{"weekday": 0, "opens": "20:00", "closes": "08:00"}]},
            "body.opening_hours.0",
        ),
        (
            {"opening_hours": [{"weekday": 0, "opens": "25:00", "closes": "26:00"}]},
            "body.opening_hours.0.opens",
        ),
        (
            {"opening_hours": [{"weekday": 7, "opens": "08:00", "closes": "09:00"}]},
            "body.opening_hours.0.weekday",
        ),
        (
            {
                "opening_hours": [
                    {"weekday": 1, "opens": "08:00", "closes": "12:00"},
                    {"weekday": 1, "opens": "11:00", "closes": "14:00"},
                ]
            },
            "body.opening_hours",
        ),
        ({"colour": "red"}, "body.colour"),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient, admin_headers: dict[str, str], change: dict[str, Any], field: str
) -> None:
    body = {"name": "Room", "location": "HQ", "capacity": 2, **change}
    problem = assert_problem(
        await client.post("/resources", json=body, headers=admin_headers), 422, "validation_error"
    )
    assert field in [d["field"] for d in problem["details"]]


async def test_get_by_id(
    client: httpx.AsyncClient, make_resource: MakeResource, member_headers: dict[str, str]
) -> None:
    created = await make_resource(timezone="Europe/Berlin")
    assert (await client.get(f"/resources/{created['id']}")).json() == created
    assert (
        await client.get(f"/resources/{created['id']}", headers=member_headers)
    ).json() == created
    assert_problem(await client.get("/resources/999999"), 404, "resource_not_found")
    assert_problem(await client.get("/resources/0"), 422, "validation_error")
    assert_problem(await client.get(f"/resources/{2**63}"), 422, "validation_error")


async def test_put_replaces_the_editable_fields(
    client: httpx.AsyncClient,
    make_resource: MakeResource,
    admin_headers: dict[str, str],
    session: AsyncSession,
) -> None:
    created = await make_resource(description="old", max_hold_slots=3)
    body = {
        "name": "Studio B",
        "location": "Basement",
        "capacity": 6,
        "slot_minutes": 30,
        "opening_hours": [{"weekday": 0, "opens": "10:00", "closes": "24:00"}],
    }
    response = await client.put(f"/resources/{created['id']}", json=body, headers=admin_headers)
    assert response.status_code == 200
    updated = response.json()
    assert updated["name"] == "Studio B" and updated["slot_minutes"] == 30
    assert updated["description"] == "old" and updated["max_hold_slots"] == 3  # left out: kept
    assert updated["opening_hours"] == body["opening_hours"]
    assert updated["created_at"] == created["created_at"]
    assert updated["updated_at"] == "2030-01-07T09:00:00Z"
    assert (await client.get(f"/resources/{created['id']}")).json() == updated
    meta = await session.scalar(
        text("SELECT meta FROM audit_log WHERE action = 'resource.updated'")
    )
    assert {"name", "location", "slot_minutes", "opening_hours"} <= set(meta["changed"])


async def test_put_errors(
    client: httpx.AsyncClient, make_resource: MakeResource, admin_headers: dict[str, str]
) -> None:
    created = await make_resource()
    body = {"name": "X", "location": "Y", "capacity": 1}
    assert_problem(
        await client.put("/resources/424242", json=body, headers=admin_headers),
        404,
        "resource_not_found",
    )
    assert_problem(
        await client.put(
            f"/resources/{created['id']}", json={**body, "capacity": -1}, headers=admin_headers
        ),
        422,
        "validation_error",
    )


async def test_delete_deactivates_and_hides_from_users(
    client: httpx.AsyncClient,
    make_resource: MakeResource,
    admin_headers: dict[str, str],
    member_headers: dict[str, str],
    session: AsyncSession,
) -> None:
    gone = await make_resource(name="Gone")
    await make_resource(name="Kept")
    path = f"/resources/{gone['id']}"
    first = await client.delete(path, headers=admin_headers)
    assert first.status_code == 204 and first.content == b""
    assert (await client.delete(path, headers=admin_headers)).status_code == 204  # idempotent

    for headers in ({}, member_headers):
        assert_problem(await client.get(path, headers=headers), 404, "resource_not_found")
        assert_problem(
            await client.get(f"{path}/availability?date=2030-01-08", headers=headers),
            404,
            "resource_not_found",
        )
        listed = (await client.get("/resources", headers=headers)).json()
        assert [r["name"] for r in listed["items"]] == ["Kept"]
    assert (await client.get(path, headers=admin_headers)).json()["is_active"] is False
    assert (
        await client.get(f"{path}/availability?date=2030-01-08", headers=admin_headers)
    ).status_code == 200
    everything = await client.get("/resources?include_inactive=true", headers=admin_headers)
    assert [r["name"] for r in everything.json()["items"]] == ["Gone", "Kept"]
    assert_problem(
        await client.get("/resources?include_inactive=true", headers=member_headers),
        403,
        "forbidden",
    )
    assert_problem(
        await client.delete("/resources/424242", headers=admin_headers), 404, "resource_not_found"
    )
    actions = (
        (
            await session.execute(
                text("SELECT action FROM audit_log WHERE entity_id = :id"), {"id": str(gone["id"])}
            )
        )
        .scalars()
        .all()
    )
    assert actions.count("resource.deactivated") == 1


async def test_put_can_reactivate(
    client: httpx.AsyncClient, make_resource: MakeResource, admin_headers: dict[str, str]
) -> None:
    created = await make_resource()
    path = f"/resources/{created['id']}"
    await client.delete(path, headers=admin_headers)
    body = {k: created[k] for k in ("name", "location", "capacity")}
    still_off = await client.put(path, json=body, headers=admin_headers)
    assert still_off.json()["is_active"] is False  # omitted: unchanged
    back = await client.put(path, json={**body, "is_active": True}, headers=admin_headers)
    assert back.json()["is_active"] is True
    assert (await client.get(path)).status_code == 200


async def test_openapi_documents_the_routes_and_their_problems(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    expected = {
        ("/resources", "get"): {"200", "422"},
        ("/resources", "post"): {"201", "401", "403", "422"},
        ("/resources/{resource_id}", "get"): {"200", "404"},
        ("/resources/{resource_id}", "put"): {"200", "401", "403", "404", "422"},
        ("/resources/{resource_id}", "delete"): {"204", "401", "403", "404"},
        ("/resources/{resource_id}/availability", "get"): {"200", "404", "422"},
        ("/resources/{resource_id}/slots", "post"): {"201", "403", "404", "422"},
        ("/resources/{resource_id}/slots/block", "post"): {"200", "403", "404", "409"},
        ("/resources/{resource_id}/slots/unblock", "post"): {"200", "403", "404"},
    }
    for (path, method), statuses in expected.items():
        operation = paths[path][method]
        assert statuses <= set(operation["responses"]), (path, method)
        assert operation["summary"]
    for path in ("/resources", "/resources/{resource_id}/availability"):
        assert "X-Cache" in paths[path]["get"]["responses"]["200"]["headers"]
    create = paths["/resources"]["post"]["requestBody"]["content"]["application/json"]
    assert create["examples"]
    block = paths["/resources/{resource_id}/slots/block"]["post"]["requestBody"]
    assert block["content"]["application/json"]["examples"]


async def test_put_accepts_a_partial_body_or_the_representation_read_back(
    client: httpx.AsyncClient, make_resource: MakeResource, admin_headers: dict[str, str]
) -> None:
    created = await make_resource(timezone="Europe/Berlin", capacity=4)
    path = f"/resources/{created['id']}"
    renamed = await client.put(path, json={"name": "Renamed"}, headers=admin_headers)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Renamed"
    assert renamed.json()["timezone"] == "Europe/Berlin" and renamed.json()["capacity"] == 4
    echoed = {**renamed.json(), "capacity": 6}  # the whole representation, read-only fields too
    again = await client.put(path, json=echoed, headers=admin_headers)
    assert again.status_code == 200 and again.json()["capacity"] == 6
    assert again.json()["id"] == created["id"]
    nulled = await client.put(path, json={"name": None}, headers=admin_headers)
    assert_problem(nulled, 422, "validation_error")
    typo = await client.put(path, json={"nmae": "x"}, headers=admin_headers)
    assert_problem(typo, 422, "validation_error")
