"""ADMIN_EMAILS grants admin only once the address is verified (SPEC R-33): registering an
administrator's address first, without its mailbox, gets an attacker nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.auth.conftest import VERIFICATION_SUBJECT, AuthApp
from tests.support.smtp import body_of, verification_token_from

pytestmark = pytest.mark.api

BOSS = "boss@example.com"  # ADMIN_EMAILS in the test settings


def _auth(pair: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def test_an_attacker_without_the_mailbox_never_becomes_admin(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    squatter = await auth_app.register("  BOSS@example.com ")
    assert squatter["role"] == "user" and squatter["email_verified"] is False
    attacker = await auth_app.login(BOSS)
    assert (await auth_app.client.get("/users", headers=_auth(attacker))).status_code == 403

    # Everything the attacker can do without the mailbox: ask for more links (they go to
    # the mailbox), verify an address they do own, and try tokens of their own making.
    resent = await auth_app.client.post("/auth/verify/resend", headers=_auth(attacker))
    assert resent.status_code == 202
    await auth_app.inbox.take(BOSS, VERIFICATION_SUBJECT)  # delivered to the owner only
    await auth_app.register("eve@example.com")
    await auth_app.verify("eve@example.com")
    for guess in ("", "boss", auth_app.verification_tokens["eve@example.com"]):
        r = await auth_app.client.post("/auth/verify", json={"token": guess})
        assert r.status_code == 400
    await asyncio.sleep(0.2)

    fresh = await auth_app.login(BOSS)
    me = (await auth_app.client.get("/me", headers=_auth(fresh))).json()
    assert me["role"] == "user" and me["email_verified"] is False
    for headers in (_auth(attacker), _auth(fresh)):
        assert (await auth_app.client.get("/users", headers=headers)).status_code == 403
    promotions = await session.scalar(
        text("SELECT count(*) FROM audit_log WHERE action = 'user.role_changed'")
    )
    assert promotions == 0
    assert await session.scalar(text("SELECT count(*) FROM user_account WHERE role = 'admin'")) == 0


async def test_the_mailbox_owner_verifying_promotes_and_it_is_audited(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    user = await auth_app.register(BOSS)
    pair = await auth_app.login(BOSS)
    # The link for an ADMIN_EMAILS address says what opening it grants.
    await auth_app.client.post("/auth/verify/resend", headers=_auth(pair))
    mail = await auth_app.inbox.take(BOSS, VERIFICATION_SUBJECT)
    assert "administrator" in body_of(mail)
    _, token = verification_token_from(mail)

    assert (await auth_app.client.post("/auth/verify", json={"token": token})).status_code == 204
    # Roles are read from the database on every request: the same access token is admin now.
    me = (await auth_app.client.get("/me", headers=_auth(pair))).json()
    assert me["role"] == "admin" and me["email_verified"] is True
    assert (await auth_app.client.get("/users", headers=_auth(pair))).status_code == 200

    changed = (
        await session.execute(
            text(
                "SELECT actor_user_id, entity_id, meta FROM audit_log "
                "WHERE action = 'user.role_changed'"
            )
        )
    ).one()
    assert changed.actor_user_id == user["id"] and changed.entity_id == str(user["id"])
    assert changed.meta == {"from": "user", "to": "admin", "via": "ADMIN_EMAILS"}


async def test_other_addresses_stay_users_when_verified(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    await auth_app.verify("ada@example.com")
    pair = await auth_app.login("ada@example.com")
    assert (await auth_app.client.get("/me", headers=_auth(pair))).json()["role"] == "user"
    assert (await auth_app.client.get("/users", headers=_auth(pair))).status_code == 403
