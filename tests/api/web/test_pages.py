"""UI pages through the ASGI app: cookie flags in production, and pages (never JSON or a
trace) for a malformed address and an unexpected failure."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from roomtime.main import create_app
from roomtime.settings import AppSettings, Settings
from roomtime.web.page_route import PageRoute

pytestmark = pytest.mark.api


def _failing_page() -> APIRouter:
    router = APIRouter(route_class=PageRoute)

    @router.get("/_test/broken-page")
    async def broken() -> None:
        raise RuntimeError("secret internals")

    return router


async def _client(
    settings: Settings, base: str = "http://test"
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    app.include_router(_failing_page())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            yield client


@pytest.fixture
async def client(settings: Settings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    async for made in _client(settings):
        yield made


@pytest.fixture
async def production_client(
    settings: Settings, clean_db: None, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    app_settings = AppSettings(
        environment="production", data_dir=tmp_path, public_base_url="https://rooms.example.com"
    )
    # https: a client keeps Secure cookies to itself over plain http.
    async for made in _client(settings.model_copy(update={"app": app_settings}), "https://test"):
        yield made


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def test_production_cookies_are_secure_http_only_and_same_site(
    production_client: httpx.AsyncClient,
) -> None:
    client = production_client
    body = {"email": "ada@example.com", "password": "long enough pw"}
    assert (await client.post("/auth/register", json=body)).status_code == 201
    page = await client.get("/login")
    signed_in = await client.post(
        "/login",
        data={"csrf_token": _csrf(page), "email": body["email"], "password": body["password"]},
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    cookies = {c.split("=", 1)[0]: c.lower() for c in signed_in.headers.get_list("set-cookie")}
    for name in ("rt_access", "rt_refresh", "rt_device"):
        assert "httponly" in cookies[name] and "secure" in cookies[name], cookies[name]
    assert "samesite=lax" in cookies["rt_access"] and "samesite=lax" in cookies["rt_refresh"]
    csrf_cookie = page.headers.get_list("set-cookie")
    assert any(c.startswith("rt_csrf=") and "Secure" in c for c in csrf_cookie)


async def test_a_malformed_address_is_a_page_saying_so(client: httpx.AsyncClient) -> None:
    page = await client.get("/book/not-a-number")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no such page." in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_an_unexpected_failure_is_a_page_with_the_request_id_only(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/_test/broken-page", headers={"X-Request-ID": "ui-boom-1"})
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "ui-boom-1" in page.text
    assert "secret internals" not in page.text and "Traceback" not in page.text


async def test_forms_without_their_csrf_token_are_refused(client: httpx.AsyncClient) -> None:
    refused = await client.post("/login", data={"email": "a@example.com", "password": "x" * 8})
    assert refused.status_code == 403 and "This form has expired" in refused.text


@pytest.mark.parametrize("header", ["accept-language", "user-agent", "x-request-id"])
async def test_a_forwarded_header_that_is_not_ascii_still_gets_the_page(
    client: httpx.AsyncClient, header: str
) -> None:
    # The UI passes these headers on to the API it calls; a byte outside ASCII (legal in
    # HTTP as latin-1) once made that call fail with a 500 before the API saw it.
    r = await client.get("/", headers={header: b"\xe9t\xe9\x80"})
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
