"""Refresh-token rotation with reuse detection (RFC 9700 §4.14.2), lifetimes and logout."""

from __future__ import annotations

import asyncio
import base64

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.auth.conftest import AuthApp

pytestmark = pytest.mark.api


async def _refresh(auth_app: AuthApp, token: str) -> tuple[int, dict[str, object]]:
    r = await auth_app.client.post("/auth/refresh", json={"refresh_token": token})
    return r.status_code, r.json()


async def test_rotation_issues_a_new_pair_in_the_same_family(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    await auth_app.register("ada@example.com")
    first = await auth_app.login("ada@example.com")
    status, second = await _refresh(auth_app, first["refresh_token"])
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    rows = (
        await session.execute(
            text(
                "SELECT used_at, family_id, family_expires_at, replaced_by_id, id "
                "FROM refresh_token ORDER BY id"
            )
        )
    ).all()
    assert len(rows) == 2
    assert rows[0].used_at is not None and rows[1].used_at is None
    assert rows[0].family_id == rows[1].family_id
    assert rows[0].family_expires_at == rows[1].family_expires_at
    assert rows[0].replaced_by_id == rows[1].id


async def test_reusing_a_rotated_token_revokes_the_whole_family(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    await auth_app.register("ada@example.com")
    a = await auth_app.login("ada@example.com")
    _, b = await _refresh(auth_app, a["refresh_token"])
    status, body = await _refresh(auth_app, a["refresh_token"])
    assert status == 401 and body["code"] == "refresh_token_reused"
    assert "access_token" not in body
    status, body = await _refresh(auth_app, str(b["refresh_token"]))
    assert status == 401  # B died with the family
    audit = (
        await session.execute(
            text("SELECT meta, ip FROM audit_log WHERE action = 'auth.refresh_token_reused'")
        )
    ).all()
    assert len(audit) == 1
    assert audit[0].meta["level"] == "critical" and audit[0].meta["family_id"]
    assert a["refresh_token"] not in str(audit[0].meta)


async def test_an_older_ancestor_also_counts_as_reuse(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    r1 = await auth_app.login("ada@example.com")
    _, r2 = await _refresh(auth_app, r1["refresh_token"])
    _, r3 = await _refresh(auth_app, str(r2["refresh_token"]))
    assert (await _refresh(auth_app, r1["refresh_token"]))[0] == 401
    assert (await _refresh(auth_app, str(r3["refresh_token"])))[0] == 401


async def test_of_concurrent_refreshes_with_one_token_exactly_one_succeeds(
    auth_app: AuthApp, session: AsyncSession
) -> None:
    await auth_app.register("ada@example.com")
    pair = await auth_app.login("ada@example.com")
    results = await asyncio.gather(*[_refresh(auth_app, pair["refresh_token"]) for _ in range(20)])
    winners = [body for status, body in results if status == 200]
    losers = [(status, body.get("code")) for status, body in results if status != 200]
    assert len(winners) == 1, results
    assert set(winners[0]) >= {"access_token", "refresh_token"}
    # The others present a token that has just been rotated: that is reuse (no grace
    # period), which revokes the family, the winner's new token included.
    assert losers == [(401, "refresh_token_reused")] * 19
    live = await session.scalar(
        text("SELECT count(*) FROM refresh_token WHERE used_at IS NULL AND revoked_at IS NULL")
    )
    assert live == 0
    status, body = await _refresh(auth_app, str(winners[0]["refresh_token"]))
    assert (status, body["code"]) == (401, "invalid_refresh_token")


async def test_tokens_are_stored_only_as_hashes(auth_app: AuthApp, session: AsyncSession) -> None:
    await auth_app.register("ada@example.com")
    pair = await auth_app.login("ada@example.com")
    raw = pair["refresh_token"]
    assert len(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) >= 32
    stored = (await session.execute(text("SELECT token_hash FROM refresh_token"))).scalar_one()
    assert len(stored) == 64 and all(c in "0123456789abcdef" for c in stored)
    dump = (
        await session.execute(text("SELECT refresh_token::text FROM refresh_token"))
    ).scalar_one()
    assert raw not in dump and raw[:16] not in dump


async def test_idle_expiry(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    pair = await auth_app.login("ada@example.com")
    auth_app.clock.advance(seconds=auth_app.settings.auth.refresh_idle_ttl_seconds + 1)
    status, body = await _refresh(auth_app, pair["refresh_token"])
    assert status == 401 and body["code"] == "invalid_refresh_token"


async def test_absolute_family_lifetime_is_not_extended_by_rotation(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    token = (await auth_app.login("ada@example.com"))["refresh_token"]
    step = auth_app.settings.auth.refresh_idle_ttl_seconds - 60
    lifetime = auth_app.settings.auth.refresh_token_ttl_seconds
    elapsed = 0
    while elapsed + step < lifetime:
        auth_app.clock.advance(seconds=step)
        elapsed += step
        status, body = await _refresh(auth_app, token)
        assert status == 200, (elapsed, body)
        token = str(body["refresh_token"])
    auth_app.clock.advance(seconds=lifetime - elapsed + 1)
    status, _ = await _refresh(auth_app, token)
    assert status == 401


async def test_logout_revokes_that_family_only(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    laptop = await auth_app.login("ada@example.com")
    phone = await auth_app.login("ada@example.com")
    out = await auth_app.client.post(
        "/auth/logout", json={"refresh_token": laptop["refresh_token"]}
    )
    assert out.status_code == 204
    assert (await _refresh(auth_app, laptop["refresh_token"]))[0] == 401
    assert (await _refresh(auth_app, phone["refresh_token"]))[0] == 200
    unknown = await auth_app.client.post("/auth/logout", json={"refresh_token": "nope"})
    assert unknown.status_code == 204


async def test_an_access_token_is_not_a_refresh_token(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    pair = await auth_app.login("ada@example.com")
    status, body = await _refresh(auth_app, pair["access_token"][:200])
    assert status == 401 and body["code"] == "invalid_refresh_token"


async def test_deactivated_user_cannot_refresh(auth_app: AuthApp) -> None:
    await auth_app.register("ada@example.com")
    pair = await auth_app.login("ada@example.com")
    async with auth_app.app.state.infra.sessionmaker() as s:
        await s.execute(text("UPDATE user_account SET is_active = false"))
        await s.commit()
    status, body = await _refresh(auth_app, pair["refresh_token"])
    assert status == 401 and body["code"] == "invalid_refresh_token"
