"""The in-app inbox (R-37): a copy of every message mailed to a user, kept for them to read
and acknowledge. Stored by the outbox's enqueue path, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.pagination import fetch_page
from roomtime.domains.audit import service as audit
from roomtime.domains.notifications import repository
from roomtime.domains.notifications.errors import NotificationNotFoundError
from roomtime.domains.notifications.models import InAppNotification
from roomtime.domains.notifications.templates import Message


def keeps_in_app(message: Message) -> bool:
    """Whether a copy of `message` is kept in its account's inbox: always, but for a
    sensitive one (a reset or verification link). That link is a credential that belongs
    only in the mailbox that proves the account, not in a list any session of the account
    can read later. The copy is stored by the outbox's enqueue, in the same statement as
    the mail (notifications.repository.add_for_user)."""
    return not message.sensitive


async def list_notifications(
    session: AsyncSession, user_id: int, *, unread_only: bool, limit: int, offset: int
) -> tuple[list[InAppNotification], int]:
    """The user's own messages, newest first."""
    stmt = repository.inbox(user_id, unread_only=unread_only)
    order = [InAppNotification.created_at.desc(), InAppNotification.id.desc()]
    return await fetch_page(session, stmt, order, limit, offset)


async def unread_count(session: AsyncSession, user_id: int) -> int:
    return await repository.count_unread(session, user_id)


async def ack_notification(
    session: AsyncSession, user_id: int, notification_id: int, now: datetime
) -> None:
    """Mark one of the user's messages read; again is a no-op. Another's is not found."""
    async with tx.transactional(session):
        changed = await repository.ack(session, user_id, notification_id, now)
        if changed is None:
            raise NotificationNotFoundError(f"Notification {notification_id} does not exist")
        if not changed:
            return
        await audit.record(
            session,
            action="notification.acked",
            entity="notification",
            entity_id=notification_id,
            actor_user_id=user_id,
        )


async def ack_all(session: AsyncSession, user_id: int, now: datetime) -> int:
    """Mark every unread message of the user read; returns how many were unread."""
    async with tx.transactional(session):
        acked = await repository.ack_all(session, user_id, now)
        if acked:
            await audit.record(
                session,
                action="notification.acked_all",
                entity="user",
                entity_id=user_id,
                actor_user_id=user_id,
                meta={"acked": acked},
            )
    return acked
