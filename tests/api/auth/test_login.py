"""POST /auth/login: no account enumeration, limits before hashing, no lockout."""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.auth.service import EnsureAdminDeps, ensure_admin
from roomtime.seed import DEV_ADMIN_PASSWORD
from roomtime.settings import AuthSettings
from tests.api.auth.conftest import PASSWORD, AuthApp

SEED_EMAIL = AuthSettings.model_fields["seed_admin_email"].default

pytestmark = pytest.mark.api

WRONG = "not the right password"


def _comparable(response_json: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in response_json.items() if k not in {"request_id", "instance"}}


async def test_login_returns_a_token_pair(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    body = await auth_app.login("ada@example.com")
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == auth_app.settings.auth.access_token_ttl_seconds


async def test_wrong_password_unknown_and_inactive_accounts_look_the_same(
    auth_app: AuthApp,
) -> None:
    await auth_app.register("ada@example.com")
    await auth_app.register("gone@example.com")
    from sqlalchemy import text

    async with auth_app.app.state.infra.sessionmaker() as s:
        await s.execute(text("UPDATE user_account SET is_active = false WHERE email LIKE 'gone%'"))
        await s.commit()
    attempts = [
        ("ada@example.com", WRONG),
        ("nobody@example.com", PASSWORD),
        ("gone@example.com", PASSWORD),
    ]
    responses = [
        await auth_app.client.post("/auth/login", json={"email": e, "password": p})
        for e, p in attempts
    ]
    assert {r.status_code for r in responses} == {401}
    bodies = [_comparable(r.json()) for r in responses]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["code"] == "invalid_credentials"
    header_sets = [set(r.headers) - {"x-request-id", "content-length"} for r in responses]
    assert header_sets[0] == header_sets[1] == header_sets[2]


async def test_unknown_email_costs_about_as_much_as_a_wrong_password(auth_app: AuthApp) -> None:
    """A generous ratio, not an absolute time: the machine may be busy."""
    await auth_app.register("ada@example.com")
    known, unknown = [], []
    for i in range(8):
        for email, bucket in (("ada@example.com", known), (f"x{i}@example.com", unknown)):
            client = auth_app.client_from(f"198.51.100.{i * 2 + len(bucket) % 2 + 1}")
            async with client:
                started = time.perf_counter()
                response = await client.post(
                    "/auth/login", json={"email": email, "password": WRONG}
                )
                bucket.append(time.perf_counter() - started)
            assert response.status_code == 401
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (ratio, known, unknown)


async def test_sixth_attempt_in_a_minute_is_429_even_with_the_right_password(
    auth_app: AuthApp,
) -> None:
    await auth_app.register("ada@example.com")
    for _ in range(5):
        r = await auth_app.client.post(
            "/auth/login", json={"email": "ada@example.com", "password": WRONG}
        )
        assert r.status_code == 401
    limited = await auth_app.client.post(
        "/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60


async def test_limit_key_is_ip_plus_email_and_forwarded_for_is_not_trusted(
    auth_app: AuthApp,
) -> None:
    await auth_app.register("ada@example.com")
    await auth_app.register("bob@example.com")
    for _ in range(5):
        await auth_app.client.post(
            "/auth/login", json={"email": "ada@example.com", "password": WRONG}
        )
    spoofed = await auth_app.client.post(
        "/auth/login",
        json={"email": "ada@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.99"},
    )
    assert spoofed.status_code == 429  # the header from an untrusted peer changes nothing
    other_email = await auth_app.client.post(
        "/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert other_email.status_code == 200
    async with auth_app.client_from("192.0.2.50") as other_ip:
        r = await other_ip.post(
            "/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
        )
    assert r.status_code == 200


async def test_forwarded_for_counts_from_a_trusted_proxy(auth_app: AuthApp) -> None:
    auth_app.settings.app.trusted_proxies = "10.0.0.5"
    await auth_app.register("ada@example.com")
    async with auth_app.client_from("10.0.0.5") as proxy:
        for _ in range(5):
            await proxy.post(
                "/auth/login",
                json={"email": "ada@example.com", "password": WRONG},
                headers={"X-Forwarded-For": "192.0.2.1"},
            )
        blocked = await proxy.post(
            "/auth/login",
            json={"email": "ada@example.com", "password": PASSWORD},
            headers={"X-Forwarded-For": "192.0.2.1"},
        )
        other_client = await proxy.post(
            "/auth/login",
            json={"email": "ada@example.com", "password": PASSWORD},
            headers={"X-Forwarded-For": "192.0.2.2"},
        )
    assert blocked.status_code == 429
    assert other_client.status_code == 200


async def test_the_documented_development_admin_can_sign_in(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    # `.local` is a special-use domain that registration's address check refuses; the seed
    # and `create-admin` make such accounts all the same, so login and forgot must take them.
    deps = EnsureAdminDeps(session, auth_app.clock)
    await ensure_admin(deps, email=SEED_EMAIL, password=DEV_ADMIN_PASSWORD)
    response = await auth_app.client.post(
        "/auth/login", json={"email": SEED_EMAIL, "password": DEV_ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    forgot = await auth_app.client.post("/auth/forgot", json={"email": SEED_EMAIL})
    assert forgot.status_code == 202
    [mail] = await auth_app.inbox.wait_for(1)
    assert mail["To"] == SEED_EMAIL


@pytest.mark.parametrize("email", ["not-an-email", "a@b@c", "two words@example.com", ""])
async def test_login_refuses_what_is_not_an_address(auth_app: AuthApp, email: str) -> None:
    response = await auth_app.client.post("/auth/login", json={"email": email, "password": "x"})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "body.email"
