"""Logout (R-28): revoke the session, i.e. the refresh-token family, of a refresh token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.domains.auth import repository, tokens
from roomtime.domains.auth._sessions import revoke_session


@dataclass(frozen=True, slots=True)
class LogoutDeps:
    session: AsyncSession
    clock: Clock


async def logout(deps: LogoutDeps, token: str) -> None:
    """Revoke the token's family. Unknown tokens are ignored: logout reveals nothing."""
    known = await repository.get_refresh_by_hash(deps.session, tokens.token_hash(token))
    async with tx.transactional(deps.session):
        if known is not None:
            await revoke_session(deps.session, known.user_id, known.family_id, deps.clock())
