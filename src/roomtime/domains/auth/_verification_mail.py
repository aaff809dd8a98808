"""The verification mail (SPEC R-33), sent at registration and on request.

Only a proven address earns what ADMIN_EMAILS grants, so registering somebody else's address
gets an attacker nothing. Like the reset link, the link is built from PUBLIC_BASE_URL, never
from the request's Host header, and only the token's SHA-256 is stored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import Clock
from roomtime.domains.auth import repository, tokens
from roomtime.domains.auth.models import EmailVerification
from roomtime.domains.notifications import templates
from roomtime.domains.notifications.service import Notifier
from roomtime.domains.users.models import User
from roomtime.settings import Settings

log = structlog.get_logger(__name__)


class VerificationMailDeps(Protocol):
    """What sending the link needs; the deps of register and resend both carry it."""

    @property
    def session(self) -> AsyncSession: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def notifier(self) -> Notifier: ...


async def send_verification(deps: VerificationMailDeps, user: User) -> None:
    """Inside the caller's transaction: a new link, which retires the earlier ones, mailed
    through the outbox (sensitive: never to Telegram, erased once delivered)."""
    now = deps.clock()
    raw = tokens.new_opaque_token()
    ttl = deps.settings.auth.email_verification_ttl_seconds
    link = tokens.mailed_link(deps.settings, "verify", raw)
    # The mail first: when the account's hourly mail cap drops it, the link the owner
    # already holds must stay valid, so nothing else changes.
    queued = await deps.notifier.enqueue_email(
        deps.session,
        to=user.email,
        message=templates.email_verification(
            link, ttl, grants_admin=user.email in deps.settings.auth.admin_email_set
        ),
        user_id=user.id,
    )
    if queued is None:
        log.warning("verification_not_sent", user_id=user.id, reason="mail_cap")
        return
    await repository.retire_verifications(deps.session, user.id, now)
    await repository.add_verification(
        deps.session,
        EmailVerification(
            user_id=user.id,
            token_hash=tokens.token_hash(raw),
            expires_at=now + timedelta(seconds=ttl),
        ),
    )
