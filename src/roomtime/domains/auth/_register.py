"""Registration (R-28): always the user role, and a verification link mailed at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.audit import service as audit
from roomtime.domains.auth._limits import limit_client
from roomtime.domains.auth._verification_mail import send_verification
from roomtime.domains.auth.passwords import hash_new_password
from roomtime.domains.auth.schemas import RegisterRequest
from roomtime.domains.notifications.service import Notifier
from roomtime.domains.users import service as users_service
from roomtime.domains.users.constants import ROLE_USER
from roomtime.domains.users.models import User
from roomtime.settings import Settings


@dataclass(frozen=True, slots=True)
class RegisterDeps:
    session: AsyncSession
    settings: Settings
    clock: Clock
    limiter: RateLimiter
    notifier: Notifier


async def register(deps: RegisterDeps, data: RegisterRequest, *, ip: str | None) -> User:
    await limit_client(
        deps.limiter,
        deps.settings.auth.register_rate_limit,
        "register",
        ip or "unknown",
        message="Too many sign-ups",
    )
    email = users_service.normalise_email(data.email)
    # Always the user role: an ADMIN_EMAILS address becomes admin only once its mailbox
    # proves it (verify_email), so registering someone else's address gains nothing.
    role = ROLE_USER
    password_hash = await hash_new_password(
        data.password, concurrency=deps.settings.auth.password_hash_concurrency
    )
    async with tx.transactional(deps.session):
        user = await users_service.create_user(
            deps.session,
            email=email,
            password_hash=password_hash,
            role=role,
            full_name=data.full_name,
        )
        await audit.record(
            deps.session,
            action="user.registered",
            entity="user",
            entity_id=user.id,
            actor_user_id=user.id,
            meta={"role": role},
            ip=ip,
        )
        await send_verification(deps, user)
    return user
