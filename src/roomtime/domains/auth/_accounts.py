"""An administrator's change of an account's role or status (R-29)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.domains.auth._sessions import revoke_user_sessions
from roomtime.domains.users import service as users_service
from roomtime.domains.users.models import User


@dataclass(frozen=True, slots=True)
class AccountUpdateDeps:
    session: AsyncSession
    clock: Clock


async def update_account(
    deps: AccountUpdateDeps,
    user_id: int,
    *,
    role: str | None,
    is_active: bool | None,
    actor_user_id: int,
) -> User:
    """Admin change of role or status; deactivation also ends every session at once."""
    session = deps.session
    async with tx.transactional(session):
        user = await users_service.get_user(session, user_id)
        if role is not None:
            await users_service.change_role(session, user, role, actor_user_id=actor_user_id)
        if is_active is not None:
            changed = await users_service.set_active(
                session, user, is_active, actor_user_id=actor_user_id
            )
            if changed and not is_active:
                await revoke_user_sessions(session, user.id, deps.clock())
    return user
