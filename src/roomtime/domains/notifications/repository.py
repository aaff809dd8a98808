"""SQL for the notification outbox and the in-app inbox.

The statements every confirm or cancel runs (the inbox and outbox inserts, the hourly cap's
count) are built once, at import: the values come with each execution. The inserts are
Core statements on the tables, which do not flush pending ORM changes first; the caller's
enqueue does that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from roomtime.core.prepared import param
from roomtime.domains.notifications.models import InAppNotification, OutboxMessage


def _inserts(
    model: type[OutboxMessage | InAppNotification],
) -> tuple[ReturningInsert[tuple[int]], ReturningInsert[tuple[int]]]:
    """(plain, once per dedupe key) inserts of a row, returning its id."""
    table = model.__table__
    plain = insert(table).returning(table.c.id)  # type: ignore[arg-type]
    return plain, plain.on_conflict_do_nothing(index_elements=["dedupe_key"])


_OUTBOX, _OUTBOX_DEDUPED = _inserts(OutboxMessage)
_IN_APP, _IN_APP_DEDUPED = _inserts(InAppNotification)


async def add(session: AsyncSession, values: dict[str, object]) -> int | None:
    """Insert a message; None when its dedupe key was already used (sent once, never twice)."""
    stmt = _OUTBOX_DEDUPED if values.get("dedupe_key") else _OUTBOX
    return (await session.execute(stmt, values)).scalar_one_or_none()


_EMAILS_SINCE = (
    select(func.count())
    .select_from(OutboxMessage)
    .where(
        OutboxMessage.user_id == param("user_id", OutboxMessage.user_id.type),
        OutboxMessage.channel == "email",
        OutboxMessage.created_at > param("since", OutboxMessage.created_at.type),
    )
)


async def count_emails_since(session: AsyncSession, user_id: int, since: datetime) -> int:
    """Mail messages queued for the user after `since` (their Telegram copies not counted)."""
    return int(await session.scalar(_EMAILS_SINCE, {"user_id": user_id, "since": since}) or 0)


async def claim(
    session: AsyncSession, message_id: int, now: datetime, lease: timedelta
) -> OutboxMessage | None:
    """Take a due message for one delivery attempt. Pushing `available_at` forward is the
    lease: a second deliverer skips it, and if this one dies the message is due again."""
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.available_at <= now,
        )
        .values(available_at=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def due_ids(session: AsyncSession, now: datetime, limit: int) -> Sequence[int]:
    stmt = (
        select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.available_at <= now)
        .order_by(OutboxMessage.available_at)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def mark_sent(session: AsyncSession, message_id: int, now: datetime, erase: bool) -> None:
    values: dict[str, object] = {"sent_at": now, "last_error": None}
    if erase:
        values["body"] = "[erased after delivery]"
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
    )


async def mark_failed(
    session: AsyncSession, message_id: int, error: str, retry_at: datetime
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(last_error=error[:500], available_at=retry_at)
    )


async def add_in_app(session: AsyncSession, values: dict[str, object]) -> int | None:
    """Store an inbox message; None when its dedupe key was already stored."""
    stmt = _IN_APP_DEDUPED if values.get("dedupe_key") else _IN_APP
    return (await session.execute(stmt, values)).scalar_one_or_none()


def inbox(user_id: int, *, unread_only: bool) -> Select[tuple[InAppNotification]]:
    stmt = select(InAppNotification).where(InAppNotification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(InAppNotification.acked_at.is_(None))
    return stmt


async def count_unread(session: AsyncSession, user_id: int) -> int:
    stmt = select(func.count()).select_from(inbox(user_id, unread_only=True).subquery())
    return int(await session.scalar(stmt) or 0)


async def ack(
    session: AsyncSession, user_id: int, notification_id: int, now: datetime
) -> bool | None:
    """Mark one of the user's messages read: True if it was unread, False if it was read
    already (it keeps its first `acked_at`), None when the user has no such message."""
    mine = (InAppNotification.id == notification_id, InAppNotification.user_id == user_id)
    stmt = (
        update(InAppNotification)
        .where(*mine, InAppNotification.acked_at.is_(None))
        .values(acked_at=now)
        .returning(InAppNotification.id)
    )
    if (await session.execute(stmt)).scalar_one_or_none() is not None:
        return True
    found = await session.scalar(select(InAppNotification.id).where(*mine))
    return False if found is not None else None


async def ack_all(session: AsyncSession, user_id: int, now: datetime) -> int:
    stmt = (
        update(InAppNotification)
        .where(InAppNotification.user_id == user_id, InAppNotification.acked_at.is_(None))
        .values(acked_at=now)
    )
    return (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]


async def backlog(session: AsyncSession) -> tuple[int, datetime | None]:
    """How many messages are undelivered, and when the oldest of them was written."""
    stmt = select(func.count(), func.min(OutboxMessage.created_at)).where(
        OutboxMessage.sent_at.is_(None)
    )
    count, oldest = (await session.execute(stmt)).one()
    return int(count), oldest
