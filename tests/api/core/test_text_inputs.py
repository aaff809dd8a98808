"""Inputs the property test (test_hostile_input_property.py) found answering 500, one each.

Text PostgreSQL cannot store (NUL), a time-zone key that is not a file name, an integer wider
than its column: each is now a 422 naming the field. Unpaired surrogates (JSON's `\\ud800`)
cannot be encoded as UTF-8 either: Pydantic refuses them in a length-limited string, but not
once a validator of our own runs, so the shared text type checks them too.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import utcnow
from roomtime.settings import Settings
from tests.factories import rows
from tests.factories.auth import Caller, make_caller
from tests.factories.resources import make_resource

pytestmark = pytest.mark.api

# Raw JSON, so the escapes reach the server as written.
NUL = '"a\\u0000b"'
SURROGATE = '"a\\ud800b"'
LOW_SURROGATE = '"x\\udfffy"'


@pytest.fixture
async def boss(session: AsyncSession, settings: Settings) -> Caller:
    return await make_caller(session, settings, role="admin", email="text-admin@example.com")


def assert_invalid(response: httpx.Response, field: str, kind: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    details = {d["field"]: d for d in response.json()["details"]}
    assert field in details, details
    # Pydantic itself refuses a surrogate in some string shapes (`string_unicode`).
    expected = {kind, "string_unicode"} if kind == "invalid_unicode" else {kind}
    assert details[field]["type"] in expected, details


async def _post(client: httpx.AsyncClient, url: str, raw: str, **headers: str) -> httpx.Response:
    headers["Content-Type"] = "application/json"
    return await client.post(url, content=raw.encode(), headers=headers)


@pytest.mark.parametrize(
    ("value", "kind"), [(NUL, "nul_character"), (SURROGATE, "invalid_unicode")]
)
async def test_register_full_name(app_client: httpx.AsyncClient, value: str, kind: str) -> None:
    raw = f'{{"email": "t@example.com", "password": "correct horse battery", "full_name": {value}}}'
    assert_invalid(await _post(app_client, "/auth/register", raw), "body.full_name", kind)


async def test_login_password_with_a_surrogate(app_client: httpx.AsyncClient) -> None:
    raw = f'{{"email": "t@example.com", "password": {SURROGATE}}}'
    assert_invalid(await _post(app_client, "/auth/login", raw), "body.password", "invalid_unicode")


async def test_refresh_token_with_a_surrogate(app_client: httpx.AsyncClient) -> None:
    raw = f'{{"refresh_token": {SURROGATE}}}'
    response = await _post(app_client, "/auth/logout", raw)
    assert_invalid(response, "body.refresh_token", "invalid_unicode")


async def test_resource_name_and_search(app_client: httpx.AsyncClient, boss: Caller) -> None:
    raw = f'{{"name": {NUL}, "location": "HQ", "capacity": 2}}'
    created = await _post(app_client, "/resources", raw, **boss.headers)
    assert_invalid(created, "body.name", "nul_character")
    search = await app_client.get("/resources?q=a%00b")
    assert_invalid(search, "query.q", "nul_character")


async def test_audit_filters(app_client: httpx.AsyncClient, boss: Caller) -> None:
    response = await app_client.get("/audit?entity=a%00", headers=boss.headers)
    assert_invalid(response, "query.entity", "nul_character")


@pytest.mark.parametrize("value", [SURROGATE, LOW_SURROGATE])
async def test_cancel_reason(
    app_client: httpx.AsyncClient, boss: Caller, session: AsyncSession, value: str
) -> None:
    resource = await make_resource(session, utcnow, horizon_days=1)
    start = (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    booking = await rows.booking(
        session, user_id=boss.user.id, resource_id=resource.id, starts_at=start
    )
    await session.commit()
    url = f"/bookings/{booking.id}/cancel"
    response = await _post(app_client, url, f'{{"reason": {value}}}', **boss.headers)
    assert_invalid(response, "body.reason", "invalid_unicode")


async def test_profile_name(
    app_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_caller(session, settings, email="text-user@example.com")
    response = await app_client.patch(
        "/me",
        content=f'{{"full_name": {NUL}}}'.encode(),
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert_invalid(response, "body.full_name", "nul_character")


@pytest.mark.parametrize("zone", ["é" * 300, "Europe/" + "x" * 300, "../../etc/passwd"])
async def test_unknown_time_zones_of_any_shape(
    app_client: httpx.AsyncClient, boss: Caller, zone: str
) -> None:
    body = {"name": "Room", "location": "HQ", "capacity": 2, "timezone": zone}
    response = await app_client.post("/resources", json=body, headers=boss.headers)
    assert_invalid(response, "body.timezone", "value_error")


async def test_cancel_deadline_beyond_its_column(
    app_client: httpx.AsyncClient, boss: Caller, session: AsyncSession
) -> None:
    resource = await make_resource(session, utcnow, horizon_days=1)
    await session.commit()
    response = await app_client.put(
        f"/resources/{resource.id}", json={"cancel_deadline_minutes": 2**31}, headers=boss.headers
    )
    assert_invalid(response, "body.cancel_deadline_minutes", "less_than_equal")
    ok = await app_client.put(
        f"/resources/{resource.id}", json={"cancel_deadline_minutes": 1440}, headers=boss.headers
    )
    assert ok.status_code == 200 and ok.json()["cancel_deadline_minutes"] == 1440
