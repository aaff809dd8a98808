"""Email verification (SPEC R-33): the mailed link, single use, expiry, resend and its limit."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.auth.conftest import PASSWORD, PUBLIC_BASE_URL, VERIFICATION_SUBJECT, AuthApp
from tests.support.smtp import body_of, verification_token_from

pytestmark = pytest.mark.api


def _auth(pair: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def _verify(auth_app: AuthApp, token: str) -> int:
    r = await auth_app.client.post("/auth/verify", json={"token": token})
    if r.status_code != 204:
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "invalid_verification_token"
    return r.status_code


async def _me(auth_app: AuthApp, email: str) -> dict[str, object]:
    response = await auth_app.client.get("/me", headers=_auth(await auth_app.login(email)))
    assert response.status_code == 200
    return response.json()


async def test_registration_mails_a_link_built_from_public_base_url(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    response = await auth_app.client.post(
        "/auth/register",
        json={"email": "ada@example.com", "password": PASSWORD},
        headers={"Host": "attacker.example", "X-Forwarded-Host": "attacker.example"},
    )
    assert response.status_code == 201 and response.json()["email_verified"] is False
    mail = await auth_app.inbox.take("ada@example.com", VERIFICATION_SUBJECT)
    link, token = verification_token_from(mail)
    assert link == f"{PUBLIC_BASE_URL}/verify?token={token}"
    assert "attacker.example" not in body_of(mail)
    assert "24 hours" in body_of(mail) and "administrator" not in body_of(mail)
    assert len(token) >= 43  # 256 random bits, URL-safe base64

    row = (
        await session.execute(text("SELECT e.*, e::text AS whole FROM email_verification e"))
    ).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.whole  # only the hash is stored
    assert row.expires_at == auth_app.clock() + timedelta(hours=24)
    assert row.used_at is None

    # Sent through the outbox as a secret: mail only (never Telegram), erased once delivered.
    for _ in range(100):
        outbox = (
            await session.execute(
                text("SELECT channel, sensitive, body, sent_at FROM notification_outbox")
            )
        ).all()
        if outbox and outbox[0].sent_at is not None:
            break
        await asyncio.sleep(0.05)
    [message] = outbox
    assert message.channel == "email" and message.sensitive is True
    assert message.sent_at is not None and token not in message.body


async def test_verifying_marks_the_address_once_and_is_audited(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    user = await auth_app.register("ada@example.com")
    assert (await _me(auth_app, "ada@example.com"))["email_verified"] is False

    token = auth_app.verification_tokens["ada@example.com"]
    response = await auth_app.client.post("/auth/verify", json={"token": token})
    assert response.status_code == 204 and response.content == b""
    me = await _me(auth_app, "ada@example.com")
    assert me["email_verified"] is True and me["role"] == "user"  # not in ADMIN_EMAILS

    audit = (
        await session.execute(
            text("SELECT actor_user_id, entity_id, meta FROM audit_log WHERE action = :a"),
            {"a": "user.email_verified"},
        )
    ).one()
    assert audit.actor_user_id == user["id"] and audit.entity_id == str(user["id"])
    assert audit.meta == {"via": "link"}

    assert await _verify(auth_app, token) == 400  # single use
    verified_at = await session.scalar(text("SELECT email_verified_at FROM user_account"))
    assert verified_at == auth_app.clock()


async def test_bad_tokens_are_400_and_malformed_bodies_422(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    assert await _verify(auth_app, "not-a-token") == 400
    assert await _verify(auth_app, "") == 400
    assert await _verify(auth_app, auth_app.verification_tokens["ada@example.com"] + "x") == 400
    for body in ({}, {"token": "x" * 201}, {"token": 5}):
        r = await auth_app.client.post("/auth/verify", json=body)
        assert r.status_code == 422 and r.json()["details"][0]["field"].startswith("body")


async def test_the_link_expires_after_24_hours(auth_app: AuthApp) -> None:
    await auth_app.register("early@example.com")
    await auth_app.register("late@example.com")
    auth_app.clock.advance(hours=24, seconds=-1)
    assert await _verify(auth_app, auth_app.verification_tokens["early@example.com"]) == 204
    auth_app.clock.advance(seconds=2)
    assert await _verify(auth_app, auth_app.verification_tokens["late@example.com"]) == 400
    assert (await _me(auth_app, "late@example.com"))["email_verified"] is False


async def test_resend_needs_a_session_and_retires_the_earlier_link(auth_app: AuthApp) -> None:
    assert (await auth_app.client.post("/auth/verify/resend")).status_code == 401
    await auth_app.register("ada@example.com")
    pair = await auth_app.login("ada@example.com")
    response = await auth_app.client.post("/auth/verify/resend", headers=_auth(pair))
    assert response.status_code == 202 and "detail" in response.json()
    link, token = verification_token_from(
        await auth_app.inbox.take("ada@example.com", VERIFICATION_SUBJECT)
    )
    assert link.startswith(f"{PUBLIC_BASE_URL}/verify?token=")
    assert await _verify(auth_app, auth_app.verification_tokens["ada@example.com"]) == 400
    assert await _verify(auth_app, token) == 204

    # Already verified: 202 as well, and no mail.
    again = await auth_app.client.post("/auth/verify/resend", headers=_auth(pair))
    assert again.status_code == 202
    await asyncio.sleep(0.3)
    assert auth_app.inbox.to("ada@example.com") == []


async def test_resend_is_limited_per_account(auth_app: AuthApp) -> None:
    allowed = int(auth_app.settings.auth.verify_resend_rate_limit.split("/")[0])
    await auth_app.register("ada@example.com")
    await auth_app.register("bob@example.com")
    ada, bob = await auth_app.login("ada@example.com"), await auth_app.login("bob@example.com")
    statuses = [
        (await auth_app.client.post("/auth/verify/resend", headers=_auth(ada))).status_code
        for _ in range(allowed)
    ]
    assert statuses == [202] * allowed
    limited = await auth_app.client.post("/auth/verify/resend", headers=_auth(ada))
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    # Another account, from the same client address, is not affected.
    assert (await auth_app.client.post("/auth/verify/resend", headers=_auth(bob))).status_code == (
        202
    )
    await auth_app.inbox.wait_for(allowed + 1)
    assert len(auth_app.inbox.to("ada@example.com")) == allowed


async def test_the_verify_page_posts_the_token_under_a_strict_policy(auth_app: AuthApp) -> None:
    page = await auth_app.client.get("/verify", params={"token": "abc"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # The web UI's page: a form posting the token back to this site, with a CSRF token.
    assert 'action="/verify"' in page.text and 'name="token" value="abc"' in page.text
    assert 'name="csrf_token"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "form-action 'self'" in policy
    assert "connect-src 'self'" in policy and "unsafe-inline" not in policy


async def test_a_resend_dropped_by_the_mail_cap_keeps_the_previous_link_valid(
    two_mails_an_hour: AuthApp,
) -> None:
    app = two_mails_an_hour
    await app.register("ada@example.com")  # the hour's first mail
    pair = await app.login("ada@example.com")
    assert (await app.client.post("/auth/verify/resend", headers=_auth(pair))).status_code == 202
    mail = await app.inbox.take("ada@example.com", VERIFICATION_SUBJECT)  # the second
    _, token = verification_token_from(mail)
    # Over the cap: no mail goes out, so the link the owner holds must not be retired.
    assert (await app.client.post("/auth/verify/resend", headers=_auth(pair))).status_code == 202
    assert await _verify(app, token) == 204
