"""The first admins: `roomtime create-admin` and the seed (SPEC R-29, R-33).

An address may already have an account that somebody else registered to wait for exactly
this moment. So an existing account is never promoted by default, and never gets a new
password: promoting it (`--promote`) is the operator's explicit statement that the account
is the right one, and it signs out every session the account had.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.domains.audit import service as audit
from roomtime.domains.auth._sessions import revoke_user_sessions
from roomtime.domains.auth.errors import ExistingAccountError
from roomtime.domains.auth.passwords import hash_password
from roomtime.domains.users import service as users_service
from roomtime.domains.users.constants import ROLE_ADMIN
from roomtime.domains.users.models import User


class AdminOutcome(enum.StrEnum):
    CREATED = "created"
    PROMOTED = "promoted"
    ALREADY_ADMIN = "already an admin"


@dataclass(frozen=True, slots=True)
class EnsureAdminDeps:
    session: AsyncSession
    clock: Clock


async def ensure_admin(
    deps: EnsureAdminDeps,
    *,
    email: str,
    password: str | None,
    promote: bool = False,
    via: str = "cli",
) -> tuple[User, AdminOutcome]:
    """Create a verified admin account, or with `promote` make an existing one admin.

    An existing non-admin account without `promote` raises ExistingAccountError and nothing
    changes. The password is used only to create an account, never to change one.
    """
    session, now = deps.session, deps.clock()
    async with tx.transactional(session):
        user = await users_service.find_by_email(session, email)
        if user is None:
            if not password:
                raise ValueError("a password is needed to create the admin account")
            return await _create(session, email, password, now, via), AdminOutcome.CREATED
        if user.role == ROLE_ADMIN:
            return user, AdminOutcome.ALREADY_ADMIN
        if not promote:
            raise ExistingAccountError(
                f"{user.email} already has an account that is not an admin; "
                "use --promote to make that account an admin (it keeps its password)"
            )
        revoked = await revoke_user_sessions(session, user.id, now)
        await users_service.mark_email_verified(session, user, now=now, actor_user_id=None, via=via)
        await users_service.change_role(
            session,
            user,
            ROLE_ADMIN,
            actor_user_id=None,
            meta={"via": via, "sessions_revoked": revoked},
        )
        return user, AdminOutcome.PROMOTED


async def _create(
    session: AsyncSession, email: str, password: str, now: datetime, via: str
) -> User:
    user = await users_service.create_user(
        session, email=email, password_hash=hash_password(password), role=ROLE_ADMIN
    )
    # An operator typed this address: it counts as proven, like a clicked link.
    user.email_verified_at = now
    await audit.record(
        session,
        action="user.created",
        entity="user",
        entity_id=user.id,
        actor_user_id=None,
        meta={"role": ROLE_ADMIN, "via": via, "email_verified": True},
    )
    return user
