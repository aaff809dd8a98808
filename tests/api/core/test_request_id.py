"""A documented request id (1–128 of `A-Za-z0-9._:-`) is kept end to end, audit row included.

The audit column once held 64 characters, so an id of 65–128 made every audited write a 500
and rolled back its transaction, a refresh-token reuse revocation among them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import utcnow
from roomtime.core.request_ids import REQUEST_ID_MAX_LENGTH
from roomtime.settings import Settings
from tests.factories.auth import make_caller
from tests.factories.resources import every_day, make_resource

pytestmark = pytest.mark.api

LONGEST = ("req-" + "0123456789abcdef" * 8)[:REQUEST_ID_MAX_LENGTH]
TOO_LONG = LONGEST + "x"
PASSWORD = "correct horse battery staple"


async def _audit_ids(session: AsyncSession, action: str) -> list[str]:
    rows = await session.execute(
        text("SELECT request_id FROM audit_log WHERE action = :a ORDER BY id"), {"a": action}
    )
    return [r.request_id for r in rows]


def test_the_longest_id_is_128_characters() -> None:
    assert len(LONGEST) == 128 and len(TOO_LONG) == 129


async def test_register_with_a_128_character_id_is_audited_with_it(
    app_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await app_client.post(
        "/auth/register",
        json={"email": "long-id@example.com", "password": PASSWORD},
        headers={"X-Request-ID": LONGEST},
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-request-id"] == LONGEST
    assert await _audit_ids(session, "user.registered") == [LONGEST]


async def test_a_129_character_id_is_replaced_everywhere(
    app_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await app_client.post(
        "/auth/register",
        json={"email": "too-long-id@example.com", "password": PASSWORD},
        headers={"X-Request-ID": TOO_LONG},
    )
    assert response.status_code == 201, response.text
    generated = response.headers["x-request-id"]
    assert generated != TOO_LONG and 1 <= len(generated) <= REQUEST_ID_MAX_LENGTH
    assert await _audit_ids(session, "user.registered") == [generated]


async def test_hold_with_a_128_character_id_is_audited_with_it(
    app_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    caller = await make_caller(session, settings, email="holder@example.com")
    resource = await make_resource(
        session, utcnow, horizon_days=3, opening_hours=every_day("00:00", "24:00")
    )
    await session.commit()
    start = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    body = {
        "resource_id": resource.id,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }
    response = await app_client.post(
        "/bookings/hold", json=body, headers={**caller.headers, "X-Request-ID": LONGEST}
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-request-id"] == LONGEST
    assert await _audit_ids(session, "booking.held") == [LONGEST]


async def test_refresh_token_reuse_with_a_128_character_id_still_revokes_the_family(
    app_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    email = "reuse@example.com"
    registered = await app_client.post(
        "/auth/register", json={"email": email, "password": PASSWORD}
    )
    assert registered.status_code == 201, registered.text
    login = await app_client.post("/auth/login", json={"email": email, "password": PASSWORD})
    first = login.json()["refresh_token"]
    rotated = await app_client.post("/auth/refresh", json={"refresh_token": first})
    successor = rotated.json()["refresh_token"]

    reuse = await app_client.post(
        "/auth/refresh", json={"refresh_token": first}, headers={"X-Request-ID": LONGEST}
    )
    assert reuse.status_code == 401, reuse.text
    assert reuse.json()["code"] == "refresh_token_reused"
    assert reuse.json()["request_id"] == LONGEST
    assert await _audit_ids(session, "auth.refresh_token_reused") == [LONGEST]
    # The revocation committed: the successor died with its family.
    after = await app_client.post("/auth/refresh", json={"refresh_token": successor})
    assert after.status_code == 401
