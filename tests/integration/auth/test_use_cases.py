"""The auth use cases called as plain functions, each with only the dependencies it declares,
on the real PostgreSQL and Redis: no app, no HTTP, a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import fields
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.audit.models import AuditLog
from roomtime.domains.auth import service as auth
from roomtime.domains.auth import tokens
from roomtime.domains.auth.errors import (
    ExistingAccountError,
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    RefreshTokenReusedError,
)
from roomtime.domains.auth.models import RefreshToken
from roomtime.domains.auth.passwords import hash_password
from roomtime.domains.users.models import User
from roomtime.settings import Settings
from tests.factories import rows

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


@pytest.fixture
async def limiter(settings: Settings, redis: Redis) -> AsyncIterator[RateLimiter]:
    yield RateLimiter(settings.redis.redis_url or "", prefix=settings.redis.redis_key_prefix)


@pytest.fixture
async def ada(session: AsyncSession) -> User:
    user = await rows.user(session, email="ada@example.com", password_hash=hash_password(PASSWORD))
    await session.commit()
    return user


def test_each_use_case_declares_only_what_it_uses() -> None:
    declared = {
        deps.__name__: {f.name for f in fields(deps)}
        for deps in (
            auth.RegisterDeps,
            auth.LoginDeps,
            auth.RefreshDeps,
            auth.LogoutDeps,
            auth.ForgotDeps,
            auth.ResetDeps,
            auth.VerifyDeps,
            auth.ResendDeps,
            auth.AccountUpdateDeps,
            auth.EnsureAdminDeps,
        )
    }
    mailing = {"session", "settings", "clock", "limiter", "notifier"}
    assert declared == {
        "RegisterDeps": mailing,
        "LoginDeps": {"session", "settings", "clock", "limiter"},
        "RefreshDeps": {"session", "settings", "clock"},
        "LogoutDeps": {"session", "clock"},
        "ForgotDeps": mailing,
        "ResetDeps": mailing,
        "VerifyDeps": {"session", "settings", "clock"},
        "ResendDeps": mailing,
        "AccountUpdateDeps": {"session", "clock"},
        "EnsureAdminDeps": {"session", "clock"},
    }


async def test_login_issues_a_pair_at_the_clocks_time_and_refuses_a_wrong_password(
    session: AsyncSession, settings: Settings, clock: FrozenClock, limiter: RateLimiter, ada: User
) -> None:
    deps = auth.LoginDeps(session, settings, clock, limiter)
    with pytest.raises(InvalidCredentialsError):
        await auth.login(deps, "ada@example.com", "wrong password", ip="192.0.2.1", user_agent=None)

    result = await auth.login(deps, " ADA@example.com ", PASSWORD, ip="192.0.2.1", user_agent="t")

    claims = tokens.decode_access_token(
        tokens.jwt_config(settings), result.tokens.access_token, now=clock()
    )
    assert claims.user_id == ada.id
    assert claims.expires_at == clock() + timedelta(seconds=settings.auth.access_token_ttl_seconds)
    assert result.device.value
    row = await session.scalar(select(RefreshToken).where(RefreshToken.user_id == ada.id))
    assert row is not None and row.user_agent == "t" and row.ip == "192.0.2.1"


async def test_refresh_rotates_once_and_logout_ends_the_family(
    session: AsyncSession, settings: Settings, clock: FrozenClock, limiter: RateLimiter, ada: User
) -> None:
    login = auth.LoginDeps(session, settings, clock, limiter)
    first = (await auth.login(login, ada.email, PASSWORD, ip="192.0.2.1", user_agent=None)).tokens
    refresh = auth.RefreshDeps(session, settings, clock)

    second = await auth.refresh(refresh, first.refresh_token, ip="192.0.2.1", user_agent=None)
    with pytest.raises(RefreshTokenReusedError):
        await auth.refresh(refresh, first.refresh_token, ip="192.0.2.1", user_agent=None)
    # The reuse revoked the family: the successor is dead too.
    with pytest.raises(InvalidRefreshTokenError):
        await auth.refresh(refresh, second.refresh_token, ip="192.0.2.1", user_agent=None)

    third = (await auth.login(login, ada.email, PASSWORD, ip="192.0.2.1", user_agent=None)).tokens
    await auth.logout(auth.LogoutDeps(session, clock), third.refresh_token)
    with pytest.raises(InvalidRefreshTokenError):
        await auth.refresh(refresh, third.refresh_token, ip="192.0.2.1", user_agent=None)
    revoked = await session.scalar(
        select(func.count()).where(
            RefreshToken.user_id == ada.id, RefreshToken.revoked_at == clock()
        )
    )
    assert revoked == 3


async def test_deactivating_an_account_revokes_its_sessions(
    session: AsyncSession, settings: Settings, clock: FrozenClock, limiter: RateLimiter, ada: User
) -> None:
    boss = await rows.user(session, email="boss@example.com", role="admin")
    await session.commit()
    login = auth.LoginDeps(session, settings, clock, limiter)
    pair = (await auth.login(login, ada.email, PASSWORD, ip="192.0.2.1", user_agent=None)).tokens

    user = await auth.update_account(
        auth.AccountUpdateDeps(session, clock),
        ada.id,
        role=None,
        is_active=False,
        actor_user_id=boss.id,
    )

    assert user.is_active is False
    with pytest.raises(InvalidRefreshTokenError):
        await auth.refresh(
            auth.RefreshDeps(session, settings, clock),
            pair.refresh_token,
            ip="192.0.2.1",
            user_agent=None,
        )


async def test_ensure_admin_creates_a_verified_admin_once_and_never_takes_an_account(
    session: AsyncSession, clock: FrozenClock, ada: User
) -> None:
    deps = auth.EnsureAdminDeps(session, clock)

    admin, outcome = await auth.ensure_admin(
        deps, email="root@example.com", password=PASSWORD, via="test"
    )
    again, repeated = await auth.ensure_admin(deps, email="root@example.com", password=None)

    assert outcome is auth.AdminOutcome.CREATED
    assert repeated is auth.AdminOutcome.ALREADY_ADMIN and again.id == admin.id
    assert admin.role == "admin" and admin.email_verified_at == clock()
    admin_id = admin.id
    with pytest.raises(ExistingAccountError):
        await auth.ensure_admin(deps, email="ada@example.com", password=PASSWORD)
    await session.refresh(ada)
    assert ada.role == "user"
    created = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "user.created", AuditLog.entity_id == str(admin_id)
        )
    )
    assert created is not None and created.meta["via"] == "test"
