"""Authentication use cases. (Login, tokens and password reset arrive with the auth issue.)"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.auth.passwords import hash_password
from roomtime.domains.auth.tokens import JwtConfig
from roomtime.domains.users import service as users_service
from roomtime.domains.users.constants import ROLE_ADMIN
from roomtime.domains.users.models import User
from roomtime.settings import Settings


def jwt_config(settings: Settings) -> JwtConfig:
    return JwtConfig(
        secret=settings.resolved_jwt_secret(),
        issuer=settings.auth.jwt_issuer,
        audience=settings.auth.jwt_audience,
        ttl_seconds=settings.auth.access_token_ttl_seconds,
    )


async def ensure_admin(
    session: AsyncSession, *, email: str, password: str | None, actor_user_id: int | None = None
) -> tuple[User, bool]:
    """Create the admin account, or promote an existing account; returns (user, created)."""
    async with tx.transactional(session):
        user = await users_service.find_by_email(session, email)
        if user is None:
            if not password:
                raise ValueError("a password is needed to create the admin account")
            user = await users_service.create_user(
                session, email=email, password_hash=hash_password(password), role=ROLE_ADMIN
            )
            await audit.record(
                session,
                action="user.created",
                entity="user",
                entity_id=user.id,
                actor_user_id=actor_user_id,
                meta={"role": ROLE_ADMIN, "via": "cli"},
            )
            return user, True
        if user.role != ROLE_ADMIN:
            previous, user.role = user.role, ROLE_ADMIN
            await audit.record(
                session,
                action="user.role_changed",
                entity="user",
                entity_id=user.id,
                actor_user_id=actor_user_id,
                meta={"from": previous, "to": ROLE_ADMIN, "via": "cli"},
            )
        return user, False
