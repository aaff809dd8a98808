"""POST /auth/register and GET /me."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.auth.conftest import PASSWORD, AuthApp

pytestmark = pytest.mark.api


async def test_register_returns_the_user_and_me_shows_it(auth_app: AuthApp) -> None:
    response = await auth_app.client.post(
        "/auth/register",
        json={"email": "  Ada@Example.COM ", "password": PASSWORD, "full_name": "Ada"},
    )
    assert response.status_code == 201
    user = response.json()
    assert set(user) == {"id", "email", "role", "full_name", "created_at", "email_verified"}
    assert user["email"] == "ada@example.com" and user["role"] == "user"
    assert user["email_verified"] is False

    tokens = await auth_app.login("ADA@example.com")
    me = await auth_app.client.get(
        "/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json() == user


async def test_email_is_unique_case_insensitively(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    again = await auth_app.client.post(
        "/auth/register", json={"email": "ADA@example.com", "password": PASSWORD}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"


async def test_role_and_status_fields_are_ignored(auth_app: AuthApp, session: AsyncSession) -> None:
    response = await auth_app.client.post(
        "/auth/register",
        json={
            "email": "eve@example.com",
            "password": PASSWORD,
            "role": "admin",
            "is_active": False,
            "id": 999,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "user" and body["id"] != 999
    row = (await session.execute(text("SELECT role, is_active FROM user_account"))).one()
    assert tuple(row) == ("user", True)


async def test_admin_emails_get_the_admin_role_once_verified(auth_app: AuthApp) -> None:
    user = await auth_app.register("Boss@Example.com")  # ADMIN_EMAILS=boss@example.com
    assert user["role"] == "user"  # not yet: nobody has shown they own the mailbox
    await auth_app.verify("boss@example.com")
    tokens = await auth_app.login("boss@example.com")
    me = await auth_app.client.get(
        "/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["role"] == "admin" and me.json()["email_verified"] is True


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("short7!", False),
        ("password123", False),  # among the most common
        ("a" * 129, False),
        ("correct horse battery staple with spaces", True),
        ("ü" * 100, True),  # long Unicode passphrases round-trip untruncated
    ],
)
async def test_password_policy(auth_app: AuthApp, password: str, accepted: bool) -> None:
    response = await auth_app.client.post(
        "/auth/register", json={"email": "pol@example.com", "password": password}
    )
    if accepted:
        assert response.status_code == 201
        await auth_app.login("pol@example.com", password)
    else:
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == "body.password"


async def test_registration_is_audited_and_hash_is_argon2id(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    user = await auth_app.register("ada@example.com")
    audit = (await session.execute(text("SELECT action, entity_id, meta FROM audit_log"))).one()
    assert audit.action == "user.registered" and audit.entity_id == str(user["id"])
    password_hash = await session.scalar(text("SELECT password_hash FROM user_account"))
    assert password_hash.startswith("$argon2id$")


async def test_me_without_token_is_401_with_challenge(auth_app: AuthApp) -> None:
    response = await auth_app.client.get("/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"


async def test_profile_update_sets_name_and_telegram_but_never_role(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    await auth_app.register("ada@example.com")
    headers = {
        "Authorization": f"Bearer {(await auth_app.login('ada@example.com'))['access_token']}"
    }
    ok = await auth_app.client.patch(
        "/me", json={"full_name": "Ada L.", "telegram_chat_id": "123456"}, headers=headers
    )
    assert ok.status_code == 200 and ok.json()["full_name"] == "Ada L."
    chat = await session.scalar(text("SELECT telegram_chat_id FROM user_account"))
    assert chat == "123456"
    sneaky = await auth_app.client.patch("/me", json={"role": "admin"}, headers=headers)
    assert sneaky.status_code == 422
    assert (await session.scalar(text("SELECT role FROM user_account"))) == "user"
