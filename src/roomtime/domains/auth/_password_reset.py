"""Password reset by email link (R-28): no account enumeration, single-use 30-minute tokens.

The link is built from PUBLIC_BASE_URL, never from the request's Host header, so a forged
Host cannot send someone's token to an attacker's site.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import structlog

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.auth import constants, repository, tokens
from roomtime.domains.auth._base import AuthBase
from roomtime.domains.auth._sessions import revoke_user_sessions
from roomtime.domains.auth.errors import InvalidResetTokenError
from roomtime.domains.auth.models import PasswordReset
from roomtime.domains.auth.passwords import hash_new_password
from roomtime.domains.notifications import templates
from roomtime.domains.users import service as users_service

log = structlog.get_logger(__name__)


class PasswordResetFlows(AuthBase):
    """The reset half of AuthService (see service.py)."""

    async def forgot(self, email: str, *, ip: str) -> None:
        await self.limit_client(
            constants.FORGOT_LIMIT, "forgot", ip, message="Too many reset requests"
        )
        user = await users_service.find_by_email(self.session, email)
        if user is None or not user.is_active:
            log.info("password_reset_requested", known=False, ip=ip)
            return
        now = self.clock()
        raw = tokens.new_opaque_token()
        ttl = self.settings.auth.password_reset_ttl_seconds
        base = self.settings.app.link_base_url
        link = f"{base}/reset?{urlencode({'token': raw})}"
        async with tx.transactional(self.session):
            # The mail first: when the account's hourly mail cap drops it, the link the owner
            # already holds must stay valid, so nothing else changes.
            queued = await self.notifier.enqueue_email(
                self.session,
                to=user.email,
                message=templates.password_reset(link, ttl // 60),
                user_id=user.id,
            )
            if queued is None:
                log.warning("password_reset_not_sent", user_id=user.id, reason="mail_cap", ip=ip)
                return
            await repository.retire_resets(self.session, user.id, now)
            await repository.add_reset(
                self.session,
                PasswordReset(
                    user_id=user.id,
                    token_hash=tokens.token_hash(raw),
                    expires_at=now + timedelta(seconds=ttl),
                ),
            )
        log.info("password_reset_requested", known=True, user_id=user.id, ip=ip)

    async def reset_password(self, token: str, new_password: str, *, ip: str) -> None:
        await self.limit_client(
            self.settings.auth.reset_rate_limit, "reset", ip, message="Too many password resets"
        )
        digest = tokens.token_hash(token)
        # A bad, used or expired token is refused after one indexed read: only a live token
        # earns the (expensive) hash. The read ends before hashing so no connection idles.
        owner_id = await repository.live_reset_owner(self.session, digest, self.clock())
        owner = (
            None if owner_id is None else await users_service.find_active(self.session, owner_id)
        )
        await self.session.commit()
        if owner is None:
            raise InvalidResetTokenError("The reset link is invalid, used or expired")
        password_hash = await hash_new_password(new_password, concurrency=self.hash_concurrency)
        now = self.clock()
        async with tx.transactional(self.session):
            # The claim decides: of two resets with one token only one gets here.
            user_id = await repository.claim_reset(self.session, digest, now)
            user = None
            if user_id is not None:
                user = await users_service.lock_user(self.session, user_id)
            if user is None or not user.is_active:
                raise InvalidResetTokenError("The reset link is invalid, used or expired")
            user.password_hash = password_hash
            revoked = await revoke_user_sessions(self.session, user.id, now)
            await audit.record(
                self.session,
                action="user.password_reset",
                entity="user",
                entity_id=user.id,
                actor_user_id=user.id,
                meta={"sessions_revoked": revoked},
                ip=ip,
            )
            await self.notifier.enqueue_email(
                self.session,
                to=user.email,
                message=templates.password_changed(),
                user_id=user.id,
            )
        log.info("password_reset_completed", user_id=user.id, ip=ip)
