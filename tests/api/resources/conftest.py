"""An app on a frozen clock (2030-01-07 09:00 UTC, a Monday) and callers with tokens of then."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from roomtime.core.clock import FrozenClock
from roomtime.main import create_app
from roomtime.settings import Settings
from tests.factories.auth import Caller, bearer

NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)

MakeResource = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def frozen() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def client(
    settings: Settings, clean_db: None, redis: Redis, frozen: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=frozen)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


@pytest.fixture
def admin_headers(admin: Caller, settings: Settings, frozen: FrozenClock) -> dict[str, str]:
    return bearer(settings, admin.user, now=frozen())


@pytest.fixture
def member_headers(member: Caller, settings: Settings, frozen: FrozenClock) -> dict[str, str]:
    return bearer(settings, member.user, now=frozen())


@pytest.fixture
def make_resource(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> MakeResource:
    counter = iter(range(1, 10_000))

    async def make(**fields: Any) -> dict[str, Any]:
        body = {"name": f"Room {next(counter)}", "location": "HQ", "capacity": 4, **fields}
        response = await client.post("/resources", json=body, headers=admin_headers)
        assert response.status_code == 201, response.text
        return response.json()

    return make


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]
    return body
