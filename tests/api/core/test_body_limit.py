"""Request bodies over MAX_JSON_BODY_BYTES are refused with 413 `payload_too_large`.

In process here (declared and chunked bodies, the cap itself, the upload route's own limit);
tests/e2e/test_body_limit_process.py shows with a real server that the 413 comes before the
rest of a large body is even sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.main import create_app
from roomtime.settings import AppSettings, FileSettings, Settings
from tests.conftest import make_settings
from tests.factories import files, rows
from tests.factories.auth import make_caller
from tests.services import ServiceUrls

pytestmark = pytest.mark.api

CAP = 2048


@pytest.fixture
def capped_settings(services: ServiceUrls, tmp_path: Path) -> Settings:
    return make_settings(
        services,
        tmp_path,
        app=AppSettings(environment="test", data_dir=tmp_path, max_json_body_bytes=CAP),
        files=FileSettings(upload_dir=tmp_path / "uploads", max_upload_bytes=64 * 1024),
    )


@pytest.fixture
async def client(
    capped_settings: Settings, clean_db: None, redis: object
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(capped_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


def login_body(size: int) -> bytes:
    """A login JSON body of exactly `size` bytes (the padding is in the password)."""
    empty = json.dumps({"email": "a@example.com", "password": ""}).encode()
    body = json.dumps({"email": "a@example.com", "password": "p" * (size - len(empty))})
    assert len(body) == size
    return body.encode()


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "payload_too_large" and body["status"] == 413
    assert body["max_bytes"] == CAP
    assert body["request_id"] == response.headers["x-request-id"]


async def test_a_declared_length_over_the_cap_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/login", content=login_body(CAP + 1), headers={"Content-Type": "application/json"}
    )
    assert_too_large(response)


async def test_a_chunked_body_over_the_cap_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):  # 64 KiB offered in 1 KiB chunks, no Content-Length
            yield b" " * 1024

    response = await client.post(
        "/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_too_large(response)


async def test_a_body_of_exactly_the_cap_reaches_the_route(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/login", content=login_body(CAP), headers={"Content-Type": "application/json"}
    )
    # The route ran: the password is over 128 characters, a validation error, not a 413.
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_a_chunked_body_within_the_cap_reaches_the_route(
    client: httpx.AsyncClient,
) -> None:
    body = json.dumps({"email": "nobody@example.com", "password": "wrong password"}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    response = await client.post(
        "/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401, response.text


async def test_any_route_and_method_is_capped(client: httpx.AsyncClient) -> None:
    response = await client.request("GET", "/health/live", content=b"x" * (CAP + 1))
    assert_too_large(response)


async def test_the_upload_route_keeps_its_own_larger_limit(
    client: httpx.AsyncClient, session: AsyncSession, capped_settings: Settings
) -> None:
    admin = await make_caller(session, capped_settings, role="admin", email="up@example.com")
    resource = await rows.resource(session)
    await session.commit()
    content = files.pdf(size=CAP * 4)
    body, headers = files.multipart(content, filename="plan.pdf")
    response = await client.post(
        f"/resources/{resource.id}/file", content=body, headers=headers | admin.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == CAP * 4
