"""Per-client limits of the unauthenticated auth routes (R-30), checked before any hashing,
and keyed by address for IPv4 and by /64 for IPv6."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.auth.conftest import PASSWORD, AuthApp

pytestmark = pytest.mark.api

PROXY = "10.0.0.5"
WRONG = "not the right password"


def _via(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def _assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1


@pytest.fixture
def proxy(auth_app: AuthApp) -> httpx.AsyncClient:
    auth_app.settings.app.trusted_proxies = PROXY
    return auth_app.client_from(PROXY)


async def _register(client: httpx.AsyncClient, email: str, address: str) -> httpx.Response:
    body = {"email": email, "password": PASSWORD}
    return await client.post("/auth/register", json=body, headers=_via(address))


async def _reset(client: httpx.AsyncClient, address: str) -> httpx.Response:
    body = {"token": "no-such-token", "new_password": "a brand new passphrase"}
    return await client.post("/auth/reset", json=body, headers=_via(address))


async def test_register_allows_ten_an_hour_per_address(proxy: httpx.AsyncClient) -> None:
    async with proxy:
        for i in range(10):
            assert (await _register(proxy, f"u{i}@example.com", "192.0.2.1")).status_code == 201
        _assert_limited(await _register(proxy, "late@example.com", "192.0.2.1"))
        assert (await _register(proxy, "other@example.com", "192.0.2.2")).status_code == 201


async def test_a_refused_registration_creates_nothing(
    auth_app: AuthApp, proxy: httpx.AsyncClient, session: AsyncSession
) -> None:
    auth_app.settings.auth.register_rate_limit = "1/hour"
    async with proxy:
        assert (await _register(proxy, "first@example.com", "192.0.2.1")).status_code == 201
        _assert_limited(await _register(proxy, "second@example.com", "192.0.2.1"))
    emails = (await session.execute(text("SELECT email FROM user_account"))).scalars().all()
    assert emails == ["first@example.com"]


async def test_reset_allows_ten_an_hour_per_address(proxy: httpx.AsyncClient) -> None:
    async with proxy:
        for _ in range(10):
            assert (await _reset(proxy, "192.0.2.1")).status_code == 400
        _assert_limited(await _reset(proxy, "192.0.2.1"))
        assert (await _reset(proxy, "192.0.2.2")).status_code == 400


async def test_login_is_limited_per_address_across_emails(
    auth_app: AuthApp, proxy: httpx.AsyncClient
) -> None:
    auth_app.settings.auth.login_ip_rate_limit = "3/minute"
    await auth_app.register("ada@example.com")
    async with proxy:
        for i in range(3):
            body = {"email": f"guess{i}@example.com", "password": WRONG}
            r = await proxy.post("/auth/login", json=body, headers=_via("192.0.2.1"))
            assert r.status_code == 401
        body = {"email": "ada@example.com", "password": PASSWORD}
        _assert_limited(await proxy.post("/auth/login", json=body, headers=_via("192.0.2.1")))
        other = await proxy.post("/auth/login", json=body, headers=_via("192.0.2.2"))
    assert other.status_code == 200


async def test_ipv6_clients_in_one_slash_64_share_the_forgot_bucket(
    proxy: httpx.AsyncClient,
) -> None:
    async with proxy:
        for host in ("1", "2", "abcd:1234"):
            r = await proxy.post(
                "/auth/forgot",
                json={"email": "nobody@example.com"},
                headers=_via(f"2001:db8:a:b::{host}"),
            )
            assert r.status_code == 202
        same_64 = await proxy.post(
            "/auth/forgot",
            json={"email": "nobody@example.com"},
            headers=_via("2001:db8:a:b:ffff::9"),
        )
        next_64 = await proxy.post(
            "/auth/forgot", json={"email": "nobody@example.com"}, headers=_via("2001:db8:a:c::1")
        )
    _assert_limited(same_64)
    assert next_64.status_code == 202


async def test_ipv6_clients_in_one_slash_64_share_the_login_bucket(
    auth_app: AuthApp, proxy: httpx.AsyncClient
) -> None:
    await auth_app.register("ada@example.com")
    async with proxy:
        for i in range(5):
            r = await proxy.post(
                "/auth/login",
                json={"email": "ada@example.com", "password": WRONG},
                headers=_via(f"2001:db8:a:b::{i + 1:x}"),
            )
            assert r.status_code == 401
        body = {"email": "ada@example.com", "password": PASSWORD}
        same_64 = await proxy.post("/auth/login", json=body, headers=_via("2001:db8:a:b::99"))
        next_64 = await proxy.post("/auth/login", json=body, headers=_via("2001:db8:a:c::99"))
    _assert_limited(same_64)
    assert next_64.status_code == 200


async def test_ipv6_clients_in_one_slash_64_share_the_register_and_reset_buckets(
    auth_app: AuthApp, proxy: httpx.AsyncClient
) -> None:
    auth_app.settings.auth.register_rate_limit = "1/hour"
    auth_app.settings.auth.reset_rate_limit = "1/hour"
    async with proxy:
        assert (await _register(proxy, "a@example.com", "2001:db8:a:b::1")).status_code == 201
        _assert_limited(await _register(proxy, "b@example.com", "2001:db8:a:b::2"))
        assert (await _register(proxy, "c@example.com", "2001:db8:a:c::1")).status_code == 201
        assert (await _reset(proxy, "2001:db8:a:b::1")).status_code == 400
        _assert_limited(await _reset(proxy, "2001:db8:a:b::2"))
        assert (await _reset(proxy, "2001:db8:a:c::1")).status_code == 400


async def test_audit_rows_keep_the_full_ipv6_address(
    proxy: httpx.AsyncClient, session: AsyncSession
) -> None:
    async with proxy:
        r = await _register(proxy, "ada@example.com", "2001:db8:a:b:1:2:3:4")
    assert r.status_code == 201
    ip = (await session.execute(text("SELECT ip FROM audit_log"))).scalar_one()
    assert ip == "2001:db8:a:b:1:2:3:4"
