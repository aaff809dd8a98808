"""Authentication use cases (R-28..R-30): register, login, refresh rotation, logout.

Login lives in `_login.py`, password reset in `_password_reset.py` and email verification
in `_verification.py`; all are used through `AuthService`. The first admins come from
`_admin.py`.
"""

from __future__ import annotations

import structlog

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.auth import repository, tokens
from roomtime.domains.auth._admin import AdminOutcome, ensure_admin
from roomtime.domains.auth._login import LoginFlows
from roomtime.domains.auth._password_reset import PasswordResetFlows
from roomtime.domains.auth._sessions import issue_pair, revoke_session, revoke_user_sessions
from roomtime.domains.auth._verification import VerificationFlows
from roomtime.domains.auth.errors import InvalidRefreshTokenError, RefreshTokenReusedError
from roomtime.domains.auth.passwords import hash_new_password
from roomtime.domains.auth.schemas import RegisterRequest, TokenPair
from roomtime.domains.auth.tokens import JwtConfig
from roomtime.domains.users import service as users_service
from roomtime.domains.users.constants import ROLE_USER
from roomtime.domains.users.models import User
from roomtime.settings import Settings

log = structlog.get_logger(__name__)

__all__ = ["AdminOutcome", "AuthService", "ensure_admin", "jwt_config"]


def jwt_config(settings: Settings) -> JwtConfig:
    return JwtConfig(
        secret=settings.resolved_jwt_secret(),
        issuer=settings.auth.jwt_issuer,
        audience=settings.auth.jwt_audience,
        ttl_seconds=settings.auth.access_token_ttl_seconds,
    )


class AuthService(LoginFlows, PasswordResetFlows, VerificationFlows):
    """Every auth use case; one instance per request (see dependencies.auth_service)."""

    async def register(self, data: RegisterRequest, *, ip: str | None) -> User:
        await self.limit_client(
            self.settings.auth.register_rate_limit,
            "register",
            ip or "unknown",
            message="Too many sign-ups",
        )
        email = users_service.normalise_email(data.email)
        # Always the user role: an ADMIN_EMAILS address becomes admin only once its mailbox
        # proves it (verify_email), so registering someone else's address gains nothing.
        role = ROLE_USER
        password_hash = await hash_new_password(data.password, concurrency=self.hash_concurrency)
        async with tx.transactional(self.session):
            user = await users_service.create_user(
                self.session,
                email=email,
                password_hash=password_hash,
                role=role,
                full_name=data.full_name,
            )
            await audit.record(
                self.session,
                action="user.registered",
                entity="user",
                entity_id=user.id,
                actor_user_id=user.id,
                meta={"role": role},
                ip=ip,
            )
            await self.send_verification(user)
        return user

    async def refresh(self, token: str, *, ip: str, user_agent: str | None) -> TokenPair:
        now = self.clock()
        digest = tokens.token_hash(token)
        reused = False
        async with tx.transactional(self.session):
            owner_id = await repository.refresh_owner(self.session, digest)
            # The owner's row lock first (see _sessions.py): a logout, reset or deactivation
            # either committed before this claim or waits until its successor is visible.
            user = (
                None if owner_id is None else await users_service.lock_user(self.session, owner_id)
            )
            claimed = None
            if user is not None:
                claimed = await repository.claim_refresh(self.session, digest, now)
                if claimed is None:
                    reused = await self._detect_reuse(digest, ip)
            if claimed is not None and user is not None and user.is_active:
                return await issue_pair(
                    self.session,
                    self.settings,
                    user,
                    now=now,
                    family_id=claimed.family_id,
                    family_expires_at=claimed.family_expires_at,
                    parent=claimed,
                    ip=ip,
                    user_agent=user_agent,
                )
            if claimed is not None:
                await repository.revoke_family(self.session, claimed.family_id, now)
        # The revocation above is committed before the error goes out.
        if reused:
            raise RefreshTokenReusedError("This refresh token was already used; sign in again")
        raise InvalidRefreshTokenError("The refresh token is invalid or expired")

    async def _detect_reuse(self, digest: str, ip: str) -> bool:
        known = await repository.get_refresh_by_hash(self.session, digest)
        if known is None or known.used_at is None:
            return False  # unknown, revoked or expired: invalid, not reuse
        revoked = await repository.revoke_family(self.session, known.family_id, self.clock())
        await audit.record(
            self.session,
            action="auth.refresh_token_reused",
            entity="user",
            entity_id=known.user_id,
            actor_user_id=known.user_id,
            meta={
                "family_id": str(known.family_id),
                "tokens_revoked": revoked,
                "level": "critical",
            },
            ip=ip,
        )
        log.critical(
            "refresh_token_reuse_detected",
            user_id=known.user_id,
            family_id=str(known.family_id),
            ip=ip,
        )
        return True

    async def logout(self, token: str) -> None:
        """Revoke the token's family. Unknown tokens are ignored: logout reveals nothing."""
        known = await repository.get_refresh_by_hash(self.session, tokens.token_hash(token))
        async with tx.transactional(self.session):
            if known is not None:
                await revoke_session(self.session, known.user_id, known.family_id, self.clock())

    async def update_account(
        self, user_id: int, *, role: str | None, is_active: bool | None, actor_user_id: int
    ) -> User:
        """Admin change of role or status; deactivation also ends every session at once."""
        async with tx.transactional(self.session):
            user = await users_service.get_user(self.session, user_id)
            if role is not None:
                await users_service.change_role(
                    self.session, user, role, actor_user_id=actor_user_id
                )
            if is_active is not None:
                changed = await users_service.set_active(
                    self.session, user, is_active, actor_user_id=actor_user_id
                )
                if changed and not is_active:
                    await revoke_user_sessions(self.session, user.id, self.clock())
        return user
