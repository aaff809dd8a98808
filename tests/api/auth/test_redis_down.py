"""With Redis unreachable, login keeps working and is still limited in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from roomtime.main import create_app
from roomtime.settings import RedisSettings
from tests.conftest import make_settings
from tests.services import ServiceUrls
from tests.support.processes import closed_port

pytestmark = pytest.mark.api

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def client(
    services: ServiceUrls, tmp_path: Path, clean_db: None
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        services, tmp_path, redis=RedisSettings(redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def test_login_works_and_is_limited_without_redis(client: httpx.AsyncClient) -> None:
    r = await client.post("/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
    assert r.status_code == 201
    ok = await client.post("/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert ok.status_code == 200
    statuses = [
        (
            await client.post("/auth/login", json={"email": "ada@example.com", "password": "x" * 9})
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]
    assert (await client.get("/health/ready")).status_code == 503
