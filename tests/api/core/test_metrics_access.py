"""/metrics can be restricted: METRICS_ALLOW (client addresses or networks, the client as
TRUSTED_PROXIES resolves it) and METRICS_TOKEN (a bearer token). Neither set: open."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from roomtime.main import create_app
from roomtime.settings import AppSettings
from tests.conftest import make_settings
from tests.services import ServiceUrls

pytestmark = pytest.mark.api

TOKEN = "scrape-token-0f9e8d7c6b5a"
Scraper = Callable[..., AsyncIterator[httpx.AsyncClient]]


@pytest.fixture
def scraper(services: ServiceUrls, tmp_path: Path) -> Scraper:
    """An app configured with the given AppSettings fields, and a client from a given peer."""

    @asynccontextmanager
    async def open_client(peer: str, **app_fields: object) -> AsyncIterator[httpx.AsyncClient]:
        app_settings = AppSettings(environment="test", data_dir=tmp_path, **app_fields)
        app = create_app(make_settings(services, tmp_path, app=app_settings))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=(peer, 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                yield c

    return open_client  # type: ignore[return-value]


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"
    assert "roomtime_http_requests_total" not in response.text


def assert_served(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert "roomtime_http_requests_total" in response.text


async def test_open_to_anyone_when_neither_is_set(scraper: Scraper) -> None:
    async with scraper("203.0.113.50") as client:
        assert_served(await client.get("/metrics"))


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        ("10.1.2.3", True),  # inside 10.0.0.0/8
        ("192.0.2.5", True),  # a single address
        ("192.0.2.6", False),
        ("203.0.113.50", False),
        ("2001:db8::1", True),  # inside 2001:db8::/32
        ("2001:db9::1", False),
        ("::ffff:10.9.9.9", True),  # an IPv4 client seen by a dual-stack listener
    ],
)
async def test_the_allow_list_admits_listed_addresses_and_networks(
    scraper: Scraper, peer: str, allowed: bool
) -> None:
    allow = "10.0.0.0/8, 192.0.2.5,2001:db8::/32"
    async with scraper(peer, metrics_allow=allow) as client:
        response = await client.get("/metrics")
    check = assert_served if allowed else assert_refused
    check(response)


async def test_the_allow_list_sees_the_client_behind_a_trusted_proxy(scraper: Scraper) -> None:
    async with scraper("127.0.0.1", metrics_allow="10.0.0.0/8", trusted_proxies="127.0.0.1") as c:
        assert_served(await c.get("/metrics", headers={"X-Forwarded-For": "10.4.4.4"}))
        assert_refused(await c.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}))
        assert_refused(await c.get("/metrics"))  # the proxy itself is not on the list


async def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(scraper: Scraper) -> None:
    async with scraper("203.0.113.9", metrics_allow="10.0.0.0/8") as client:
        assert_refused(await client.get("/metrics", headers={"X-Forwarded-For": "10.4.4.4"}))


@pytest.mark.parametrize(
    ("authorization", "allowed"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer {TOKEN}", True),
        (None, False),
        ("Bearer wrong-token", False),
        (f"Bearer {TOKEN}x", False),
        (f"Basic {TOKEN}", False),
        ("Bearer", False),
        ("Bearer t\u00f6ken", False),  # not ASCII: a mismatch, not an error
    ],
)
async def test_the_token_admits_only_its_bearer(
    scraper: Scraper, authorization: str | None, allowed: bool
) -> None:
    headers = {"Authorization": authorization.encode("latin-1")} if authorization else {}
    async with scraper("203.0.113.50", metrics_token=TOKEN) as client:
        response = await client.get("/metrics", headers=headers)
    check = assert_served if allowed else assert_refused
    check(response)


async def test_with_both_either_one_admits(scraper: Scraper) -> None:
    both = {"metrics_allow": "10.0.0.0/8", "metrics_token": TOKEN}
    async with scraper("10.0.0.7", **both) as inside:
        assert_served(await inside.get("/metrics"))
    async with scraper("203.0.113.50", **both) as outside:
        assert_served(await outside.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}))
        assert_refused(await outside.get("/metrics"))


async def test_disabled_metrics_are_404_even_for_an_allowed_client(scraper: Scraper) -> None:
    async with scraper("10.0.0.7", metrics_enabled=False, metrics_allow="10.0.0.0/8") as client:
        response = await client.get("/metrics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_malformed_allow_list_stops_startup() -> None:
    with pytest.raises(ValidationError, match=r"10\.0\.0\.300"):
        AppSettings(metrics_allow="10.0.0.0/8,10.0.0.300")
