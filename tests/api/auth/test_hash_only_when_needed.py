"""Unauthenticated requests reach the password hash only when they must.

Each test fills a hashing lane (every slot taken) before it sends the request: an answer
that arrives anyway did not hash, and one that must hash waits until the lane frees up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from roomtime.domains.auth import passwords
from tests.api.auth.conftest import PASSWORD, AuthApp
from tests.support.smtp import body_of, reset_token_from

pytestmark = pytest.mark.api

NEW_PASSWORD = "a brand new passphrase"
HANG_GUARD_SECONDS = 60  # only a request that waits for the lane gets anywhere near this


@asynccontextmanager
async def lane_full(auth_app: AuthApp, name: str) -> AsyncIterator[None]:
    size = auth_app.settings.auth.password_hash_concurrency
    limiter = passwords.lane(name, size)
    holders = [object() for _ in range(size)]
    for holder in holders:
        await limiter.acquire_on_behalf_of(holder)
    try:
        yield
    finally:
        for holder in holders:
            limiter.release_on_behalf_of(holder)


async def _post(auth_app: AuthApp, path: str, body: dict[str, str]) -> httpx.Response:
    return await asyncio.wait_for(auth_app.client.post(path, json=body), HANG_GUARD_SECONDS)


async def _reset_token(auth_app: AuthApp, count: int = 1) -> str:
    r = await auth_app.client.post("/auth/forgot", json={"email": "ada@example.com"})
    assert r.status_code == 202
    messages = await auth_app.inbox.wait_for(count)
    return reset_token_from([m for m in messages if "/reset?token=" in body_of(m)][-1])[1]


async def test_a_bad_used_or_expired_reset_token_is_refused_without_hashing(
    auth_app: AuthApp,
) -> None:
    await auth_app.register("ada@example.com")
    used = await _reset_token(auth_app)
    body = {"token": used, "new_password": NEW_PASSWORD}
    assert (await _post(auth_app, "/auth/reset", body)).status_code == 204
    expired = await _reset_token(auth_app, 3)  # the reset mailed "password changed" too
    auth_app.clock.advance(minutes=31)
    async with lane_full(auth_app, passwords.NEW_PASSWORD_LANE):
        for token in ("never-issued", used, expired):
            r = await _post(auth_app, "/auth/reset", {"token": token, "new_password": "x" * 12})
            assert r.status_code == 400, token
            assert r.json()["code"] == "invalid_reset_token"


async def test_a_live_reset_token_waits_for_the_hashing_lane(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    token = await _reset_token(auth_app)
    async with lane_full(auth_app, passwords.NEW_PASSWORD_LANE):
        pending = asyncio.create_task(
            _post(auth_app, "/auth/reset", {"token": token, "new_password": NEW_PASSWORD})
        )
        await asyncio.sleep(0.5)
        assert not pending.done()  # it needs a hash, so it waits its turn
    assert (await pending).status_code == 204
    await auth_app.login("ada@example.com", NEW_PASSWORD)


async def test_limited_registrations_and_resets_are_refused_before_hashing(
    auth_app: AuthApp,
) -> None:
    auth_app.settings.auth.register_rate_limit = "1/hour"
    auth_app.settings.auth.reset_rate_limit = "1/hour"
    await auth_app.register("ada@example.com")
    token = await _reset_token(auth_app)
    r = await _post(auth_app, "/auth/reset", {"token": "wrong", "new_password": NEW_PASSWORD})
    assert r.status_code == 400
    async with lane_full(auth_app, passwords.NEW_PASSWORD_LANE):
        register = await _post(
            auth_app, "/auth/register", {"email": "bob@example.com", "password": PASSWORD}
        )
        reset = await _post(auth_app, "/auth/reset", {"token": token, "new_password": NEW_PASSWORD})
    assert register.status_code == 429
    assert reset.status_code == 429


async def test_limited_logins_are_refused_before_hashing(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    body = {"email": "ada@example.com", "password": "not the right password"}
    for _ in range(5):
        assert (await _post(auth_app, "/auth/login", body)).status_code == 401
    async with lane_full(auth_app, passwords.LOGIN_LANE):
        r = await _post(auth_app, "/auth/login", {"email": "ada@example.com", "password": PASSWORD})
    assert r.status_code == 429
