"""Every response carries `X-Content-Type-Options: nosniff`, once: successes, problems of
every kind (404, 405, 401, 422, 413, 500), the docs pages, the schema, the metrics and a
served file (which sets it itself)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.main import create_app
from roomtime.settings import Settings
from tests.factories import files, rows
from tests.factories.auth import make_caller

pytestmark = pytest.mark.api


def _failing_router() -> APIRouter:
    router = APIRouter()

    @router.get("/_test/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    return router


@pytest.fixture
async def client(settings: Settings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    app.include_router(_failing_router())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


def assert_nosniff(response: httpx.Response) -> None:
    assert response.headers.get_list("x-content-type-options") == ["nosniff"], (
        response.status_code,
        response.headers,
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health/live", 200),
        ("GET", "/docs", 200),
        ("GET", "/redoc", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/metrics", 200),
        ("GET", "/no/such/page", 404),
        ("DELETE", "/health/live", 405),
        ("GET", "/me", 401),
        ("GET", "/resources?limit=0", 422),
        ("GET", "/_test/boom", 500),
        ("GET", "/files/999", 404),
    ],
)
async def test_every_kind_of_response_says_nosniff(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status, response.text
    assert_nosniff(response)


async def test_a_413_says_nosniff(client: httpx.AsyncClient, settings: Settings) -> None:
    too_big = b"{" + b" " * settings.app.max_json_body_bytes + b"}"
    response = await client.post(
        "/auth/login", content=too_big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert_nosniff(response)


async def test_malformed_json_says_nosniff(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert_nosniff(response)


async def test_a_served_file_says_nosniff_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await make_caller(session, settings, role="admin", email="nosniff@example.com")
    resource = await rows.resource(session)
    await session.commit()
    body, headers = files.multipart(files.png(), filename="room.png")
    uploaded = await client.post(
        f"/resources/{resource.id}/file", content=body, headers=headers | admin.headers
    )
    assert uploaded.status_code == 201, uploaded.text
    served = await client.get(uploaded.json()["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert_nosniff(served)
