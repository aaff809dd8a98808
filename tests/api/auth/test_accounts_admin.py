"""Roles (R-29) and account administration: one reusable dependency decides."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.auth.conftest import AuthApp

pytestmark = pytest.mark.api


def _auth(pair: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def _admin_and_user(auth_app: AuthApp) -> tuple[dict[str, str], dict[str, str], int]:
    await auth_app.register("boss@example.com")  # in ADMIN_EMAILS: admin once verified
    await auth_app.verify("boss@example.com")
    user = await auth_app.register("ada@example.com")
    return (
        await auth_app.login("boss@example.com"),
        await auth_app.login("ada@example.com"),
        int(user["id"]),  # type: ignore[arg-type]
    )


async def test_admin_routes_refuse_users_and_anonymous(auth_app: AuthApp) -> None:
    admin, user, user_id = await _admin_and_user(auth_app)
    assert (await auth_app.client.get("/users")).status_code == 401
    forbidden = await auth_app.client.get("/users", headers=_auth(user))
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    listed = await auth_app.client.get("/users", headers=_auth(admin))
    assert listed.status_code == 200 and listed.json()["total"] == 2
    patch = await auth_app.client.patch(
        f"/users/{user_id}", json={"role": "admin"}, headers=_auth(user)
    )
    assert patch.status_code == 403


async def test_deactivation_ends_every_session_and_is_audited(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    admin, user, user_id = await _admin_and_user(auth_app)
    r = await auth_app.client.patch(
        f"/users/{user_id}", json={"is_active": False}, headers=_auth(admin)
    )
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert (await auth_app.client.get("/me", headers=_auth(user))).status_code == 401
    refresh = await auth_app.client.post(
        "/auth/refresh", json={"refresh_token": user["refresh_token"]}
    )
    assert refresh.status_code == 401
    login = await auth_app.client.post(
        "/auth/login", json={"email": "ada@example.com", "password": "correct horse battery staple"}
    )
    assert login.status_code == 401 and login.json()["code"] == "invalid_credentials"
    revoked = await session.scalar(
        text("SELECT count(*) FROM refresh_token WHERE user_id = :u AND revoked_at IS NULL"),
        {"u": user_id},
    )
    assert revoked == 0
    actions = (await session.execute(text("SELECT action FROM audit_log"))).scalars().all()
    assert "user.deactivated" in actions


async def test_demoted_admin_loses_access_immediately(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    admin, _, user_id = await _admin_and_user(auth_app)
    promoted = await auth_app.client.patch(
        f"/users/{user_id}", json={"role": "admin"}, headers=_auth(admin)
    )
    assert promoted.json()["role"] == "admin"
    new_admin = await auth_app.login("ada@example.com")
    assert (await auth_app.client.get("/users", headers=_auth(new_admin))).status_code == 200
    await auth_app.client.patch(f"/users/{user_id}", json={"role": "user"}, headers=_auth(admin))
    # The old access token still says "admin", but roles are read from the database.
    assert (await auth_app.client.get("/users", headers=_auth(new_admin))).status_code == 403
    changes = (
        (
            await session.execute(
                text(
                    "SELECT meta FROM audit_log WHERE action = 'user.role_changed' "
                    "AND entity_id = :u ORDER BY id"
                ),
                {"u": str(user_id)},
            )
        )
        .scalars()
        .all()
    )
    assert [(m["from"], m["to"]) for m in changes] == [("user", "admin"), ("admin", "user")]


async def test_unknown_user_is_404(auth_app: AuthApp) -> None:
    admin, _, _ = await _admin_and_user(auth_app)
    r = await auth_app.client.patch("/users/9999", json={"is_active": False}, headers=_auth(admin))
    assert r.status_code == 404 and r.json()["code"] == "user_not_found"
