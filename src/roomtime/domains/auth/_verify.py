"""Using an email-verification link (SPEC R-33): the address is proven, and an address that
ADMIN_EMAILS lists makes its account an admin now, never at registration."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.domains.auth import repository, tokens
from roomtime.domains.auth.errors import InvalidVerificationTokenError
from roomtime.domains.users import service as users_service
from roomtime.domains.users.constants import ROLE_ADMIN
from roomtime.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class VerifyDeps:
    session: AsyncSession
    settings: Settings
    clock: Clock


async def verify_email(deps: VerifyDeps, token: str, *, ip: str) -> None:
    """Use a link once; an invalid, used or expired one changes nothing."""
    session, now = deps.session, deps.clock()
    async with tx.transactional(session):
        user_id = await repository.claim_verification(session, tokens.token_hash(token), now)
        user = None if user_id is None else await users_service.find_active(session, user_id)
        if user is None:
            raise InvalidVerificationTokenError("The verification link is invalid, used or expired")
        await repository.retire_verifications(session, user.id, now)
        await users_service.mark_email_verified(
            session, user, now=now, actor_user_id=user.id, via="link", ip=ip
        )
        if user.email in deps.settings.auth.admin_email_set:
            await users_service.change_role(
                session, user, ROLE_ADMIN, actor_user_id=user.id, meta={"via": "ADMIN_EMAILS"}
            )
    log.info("email_verified", user_id=user.id, role=user.role, ip=ip)
