"""Email verification (SPEC R-33): a single-use link proves that an account owns its address.

Only a proven address earns what ADMIN_EMAILS grants, so registering somebody else's address
gets an attacker nothing. Like the reset link, the link is built from PUBLIC_BASE_URL, never
from the request's Host header, and only the token's SHA-256 is stored.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import structlog

from roomtime.core import tx
from roomtime.domains.auth import repository, tokens
from roomtime.domains.auth._base import AuthBase
from roomtime.domains.auth.errors import InvalidVerificationTokenError, TooManyAttemptsError
from roomtime.domains.auth.models import EmailVerification
from roomtime.domains.notifications import templates
from roomtime.domains.users import service as users_service
from roomtime.domains.users.constants import ROLE_ADMIN
from roomtime.domains.users.models import User

log = structlog.get_logger(__name__)


class VerificationFlows(AuthBase):
    """The verification half of AuthService (see service.py)."""

    async def send_verification(self, user: User) -> None:
        """Inside the caller's transaction: a new link, which retires the earlier ones, mailed
        through the outbox (sensitive: never to Telegram, erased once delivered)."""
        now = self.clock()
        raw = tokens.new_opaque_token()
        ttl = self.settings.auth.email_verification_ttl_seconds
        base = self.settings.app.link_base_url
        link = f"{base}/verify?{urlencode({'token': raw})}"
        # The mail first: when the account's hourly mail cap drops it, the link the owner
        # already holds must stay valid, so nothing else changes.
        queued = await self.notifier.enqueue_email(
            self.session,
            to=user.email,
            message=templates.email_verification(
                link, ttl, grants_admin=user.email in self.settings.auth.admin_email_set
            ),
            user_id=user.id,
        )
        if queued is None:
            log.warning("verification_not_sent", user_id=user.id, reason="mail_cap")
            return
        await repository.retire_verifications(self.session, user.id, now)
        await repository.add_verification(
            self.session,
            EmailVerification(
                user_id=user.id,
                token_hash=tokens.token_hash(raw),
                expires_at=now + timedelta(seconds=ttl),
            ),
        )

    async def verify_email(self, token: str, *, ip: str) -> None:
        """Use a link once: the address is proven and, if ADMIN_EMAILS lists it, the account
        becomes an admin now (never at registration)."""
        now = self.clock()
        async with tx.transactional(self.session):
            user_id = await repository.claim_verification(
                self.session, tokens.token_hash(token), now
            )
            user = None
            if user_id is not None:
                user = await users_service.find_active(self.session, user_id)
            if user is None:
                raise InvalidVerificationTokenError(
                    "The verification link is invalid, used or expired"
                )
            await repository.retire_verifications(self.session, user.id, now)
            await users_service.mark_email_verified(
                self.session, user, now=now, actor_user_id=user.id, via="link", ip=ip
            )
            if user.email in self.settings.auth.admin_email_set:
                await users_service.change_role(
                    self.session,
                    user,
                    ROLE_ADMIN,
                    actor_user_id=user.id,
                    meta={"via": "ADMIN_EMAILS"},
                )
        log.info("email_verified", user_id=user.id, role=user.role, ip=ip)

    async def resend_verification(self, user: User, *, ip: str) -> None:
        """A new link for the signed-in account; nothing is sent once the address is proven."""
        decision = await self.limiter.hit(
            self.settings.auth.verify_resend_rate_limit, "verify-resend", str(user.id)
        )
        if not decision.allowed:
            raise TooManyAttemptsError(
                "Too many verification mails requested; retry later",
                retry_after=decision.retry_after,
            )
        if user.email_verified:
            log.info("verification_resend_skipped", user_id=user.id, reason="already_verified")
            return
        async with tx.transactional(self.session):
            await self.send_verification(user)
        log.info("verification_resent", user_id=user.id, ip=ip)
