"""Forgot / reset over a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.auth.conftest import PASSWORD, PUBLIC_BASE_URL, AuthApp
from tests.support.smtp import body_of, reset_token_from

pytestmark = pytest.mark.api

NEW_PASSWORD = "a brand new passphrase"


async def _forgot(auth_app: AuthApp, email: str, **headers: str) -> dict[str, object]:
    r = await auth_app.client.post("/auth/forgot", json={"email": email}, headers=headers)
    assert r.status_code == 202, r.text
    return r.json()


async def _reset(auth_app: AuthApp, token: str, password: str = NEW_PASSWORD) -> int:
    r = await auth_app.client.post("/auth/reset", json={"token": token, "new_password": password})
    if r.status_code != 204:
        assert r.json()["code"] in {"invalid_reset_token", "validation_error"}
    return r.status_code


async def test_full_reset_by_email_link(auth_app: AuthApp, session: AsyncSession) -> None:
    await auth_app.register("ada@example.com")
    old_session = await auth_app.login("ada@example.com")
    await _forgot(auth_app, "ADA@example.com")
    [message] = await auth_app.inbox.wait_for(1)
    assert message["To"] == "ada@example.com"
    link, token = reset_token_from(message)
    assert link.startswith(f"{PUBLIC_BASE_URL}/reset?token=")

    response = await auth_app.client.post(
        "/auth/reset", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204 and response.content == b""  # nobody is logged in

    await auth_app.login("ada@example.com", NEW_PASSWORD)
    wrong = await auth_app.client.post(
        "/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == 401
    old = await auth_app.client.post(
        "/auth/refresh", json={"refresh_token": old_session["refresh_token"]}
    )
    assert old.status_code == 401  # every session of the account was revoked

    messages = await auth_app.inbox.wait_for(2)
    changed = messages[1]
    assert "changed" in changed["Subject"] and NEW_PASSWORD not in body_of(changed)
    actions = (await session.execute(text("SELECT action FROM audit_log"))).scalars().all()
    assert "user.password_reset" in actions


async def test_unknown_email_gets_the_same_answer_and_no_mail(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    unknown = await _forgot(auth_app, "nobody@example.com")
    known = await _forgot(auth_app, "ada@example.com")
    assert unknown == known
    await auth_app.inbox.wait_for(1)
    await asyncio.sleep(0.3)
    assert [m["To"] for m in auth_app.inbox.messages] == ["ada@example.com"]


async def test_token_works_once(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    await _forgot(auth_app, "ada@example.com")
    _, token = reset_token_from((await auth_app.inbox.wait_for(1))[0])
    assert await _reset(auth_app, token) == 204
    assert await _reset(auth_app, token, "yet another passphrase") == 400
    await auth_app.login("ada@example.com", NEW_PASSWORD)  # the second attempt changed nothing


async def test_token_expires_after_thirty_minutes(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    await _forgot(auth_app, "ada@example.com")
    _, token = reset_token_from((await auth_app.inbox.wait_for(1))[0])
    auth_app.clock.advance(minutes=30, seconds=1)
    assert await _reset(auth_app, token) == 400


async def test_a_new_request_invalidates_the_previous_token(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    await _forgot(auth_app, "ada@example.com")
    await _forgot(auth_app, "ada@example.com")
    first, second = await auth_app.inbox.wait_for(2)
    assert await _reset(auth_app, reset_token_from(first)[1]) == 400
    assert await _reset(auth_app, reset_token_from(second)[1]) == 204


async def test_link_ignores_a_forged_host_header(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    await _forgot(
        auth_app, "ada@example.com", Host="evil.example", **{"X-Forwarded-Host": "evil.example"}
    )
    link, _ = reset_token_from((await auth_app.inbox.wait_for(1))[0])
    assert link.startswith(PUBLIC_BASE_URL) and "evil" not in link


async def test_token_is_stored_hashed(auth_app: AuthApp, session: AsyncSession) -> None:
    await auth_app.register("ada@example.com")
    await _forgot(auth_app, "ada@example.com")
    _, token = reset_token_from((await auth_app.inbox.wait_for(1))[0])
    assert len(token) >= 43
    stored = (
        await session.execute(text("SELECT password_reset::text FROM password_reset"))
    ).scalar_one()
    assert token not in stored
    await asyncio.sleep(0.2)
    outbox = (
        await session.execute(
            text("SELECT body, sent_at FROM notification_outbox WHERE kind = 'password_reset'")
        )
    ).one()
    assert outbox.sent_at is not None and token not in outbox.body  # erased once delivered


async def test_forgot_is_limited_per_ip(auth_app: AuthApp) -> None:
    for _ in range(3):
        await _forgot(auth_app, "nobody@example.com")
    limited = await auth_app.client.post("/auth/forgot", json={"email": "x@example.com"})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1


async def test_weak_new_password_is_422(auth_app: AuthApp) -> None:
    response = await auth_app.client.post(
        "/auth/reset", json={"token": "t", "new_password": "short"}
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "body.new_password"


async def test_unknown_token_is_400(auth_app: AuthApp) -> None:
    assert await _reset(auth_app, "definitely-not-issued") == 400


async def test_a_reset_mail_dropped_by_the_mail_cap_keeps_the_previous_link_valid(
    two_mails_an_hour: AuthApp, session: AsyncSession
) -> None:
    app = two_mails_an_hour
    await app.register("ada@example.com")  # the verification mail: the hour's first
    await _forgot(app, "ada@example.com")  # the reset mail: the hour's second
    [message] = await app.inbox.wait_for(1)
    _, token = reset_token_from(message)
    await _forgot(app, "ada@example.com")  # over the cap: no mail, and nothing retired
    queued = await session.scalar(
        text("SELECT count(*) FROM notification_outbox WHERE kind = 'password_reset'")
    )
    assert queued == 1
    assert await _reset(app, token) == 204
