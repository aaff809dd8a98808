"""SQL for the notification outbox and the in-app inbox.

A mail to an account (its inbox copy, the hourly cap's count and the outbox row) is one
statement, `add_for_user`, built once and run raw in the caller's transaction
(core.prepared.InTransaction): the values come with each execution. The same parts can
ride on another domain's statement instead (`riding`): a confirm or cancel by the owner
writes its mail with the booking. No insert here flushes pending ORM changes first; the
caller's enqueue does that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import CTE, ColumnElement, Integer, Select, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate
from sqlalchemy.sql.schema import Column

from roomtime.core.prepared import InTransaction, param
from roomtime.domains.notifications.models import InAppNotification, OutboxMessage


def _inserts() -> tuple[ReturningInsert[tuple[int]], ReturningInsert[tuple[int]]]:
    """(plain, once per dedupe key) inserts of an outbox row, returning its id."""
    table = OutboxMessage.__table__
    plain = insert(table).returning(table.c.id)  # type: ignore[arg-type]
    return plain, plain.on_conflict_do_nothing(index_elements=["dedupe_key"])


_OUTBOX, _OUTBOX_DEDUPED = _inserts()
_Returning = TypeVar("_Returning", ReturningInsert[Any], ReturningUpdate[Any])


async def add(session: AsyncSession, values: dict[str, object]) -> int | None:
    """Insert a message; None when its dedupe key was already used (sent once, never twice)."""
    stmt = _OUTBOX_DEDUPED if values.get("dedupe_key") else _OUTBOX
    return (await session.execute(stmt, values)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class _MailParts:
    """The parts of a mail to an account: the hourly cap's count (`recent`), the outbox
    row inserted only under the cap (`queued`, its id) and the inbox copy (`kept`)."""

    recent: CTE
    queued: CTE
    kept: CTE


def _mail_parts(prefix: str = "") -> _MailParts:
    """The mail's statements as WITH parts, their parameters named `prefix` + the column's
    name (plus `since` and `cap`). Both inserts skip a dedupe key used before."""
    outbox = OutboxMessage.__table__
    inbox = InAppNotification.__table__

    def value(name: str, column: Column[object]) -> ColumnElement[object]:
        return param(f"{prefix}{name}", column.type)

    recent = (
        select(func.count().label("n"))
        .select_from(outbox)
        .where(
            outbox.c.user_id == value("user_id", outbox.c.user_id),
            outbox.c.channel == "email",
            outbox.c.created_at > value("since", outbox.c.created_at),
        )
        .cte(f"{prefix}recent")
    )
    # available_at is created_at: the message is due at once.
    from_values = {"available_at": "created_at"}
    columns = [c.name for c in outbox.c if c.name in _OUTBOX_COLUMNS]
    row = select(
        *(
            (
                literal("email")
                if name == "channel"
                else value(from_values.get(name, name), outbox.c[name])
            ).label(name)
            for name in columns
        )
    ).where(recent.c.n < param(f"{prefix}cap", Integer()))
    queued = (
        insert(outbox)
        .from_select(columns, row)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(outbox.c.id)
        .cte(f"{prefix}queued")
    )
    kept = (
        insert(inbox)
        .values(
            {
                # The inbox's title is the mail's subject.
                inbox.c[name]: value("subject" if name == "title" else name, inbox.c[name])
                for name in _INBOX_COLUMNS
            }
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .cte(f"{prefix}kept")
    )
    return _MailParts(recent, queued, kept)


def _to_user(*, kept: bool) -> Select[tuple[int, int | None]]:
    """One statement for a mail to an account: its inbox copy (when `kept`), the hourly
    cap's count and the outbox row, which is inserted only under the cap. The row is
    (mails counted in the window, the new message's id or None). The count and the
    inserts share one snapshot, as the separate statements of one READ COMMITTED
    transaction did with nothing else writing between them."""
    parts = _mail_parts()
    stmt = select(parts.recent.c.n, select(parts.queued.c.id).scalar_subquery().label("id"))
    return stmt.add_cte(parts.kept) if kept else stmt


# The parameters of a mail riding on another statement are named apart from its own.
_RIDING = "mail_"


def riding(statement: _Returning, *, kept: bool) -> _Returning:
    """`statement` (an INSERT or UPDATE ... RETURNING), also queueing a mail to an account
    (`riding_params`) in the same round trip: `add_for_user`'s parts as data-modifying
    WITHs, run once, in the statement's transaction and its snapshot. Its row gains
    `mail_counted` and `mail_id`, `add_for_user`'s two values."""
    parts = _mail_parts(_RIDING)
    stmt = statement.returning(
        select(parts.recent.c.n).scalar_subquery().label(f"{_RIDING}counted"),
        select(parts.queued.c.id).scalar_subquery().label(f"{_RIDING}id"),
    )
    return stmt.add_cte(parts.kept) if kept else stmt


def riding_params(values: dict[str, object], *, since: datetime, cap: int) -> dict[str, object]:
    """`add_for_user`'s values as the parameters of a statement it rides on."""
    named = {**values, "since": since, "cap": cap}
    return {f"{_RIDING}{name}": value for name, value in named.items()}


_OUTBOX_COLUMNS = frozenset(
    {"kind", "channel", "recipient", "subject", "body", "sensitive", "user_id", "dedupe_key",
     "created_at", "available_at"}
)  # fmt: skip
_INBOX_COLUMNS = (
    "user_id",
    "kind",
    "title",
    "body",
    "cta_url",
    "cta_label",
    "dedupe_key",
    "created_at",
)
_TO_USER = InTransaction(lambda: _to_user(kept=False))
_TO_USER_KEPT = InTransaction(lambda: _to_user(kept=True))


async def add_for_user(
    session: AsyncSession, values: dict[str, object], *, kept: bool, since: datetime, cap: int
) -> tuple[int, int | None]:
    """Queue a mail to an account unless it had `cap` mails since `since`, and keep its
    inbox copy (`kept`) whatever the cap says: (mails counted, new message id or None).
    `values` are the outbox row's (channel and available_at excepted) plus the inbox's
    `cta_url` and `cta_label`."""
    stmt = _TO_USER_KEPT if kept else _TO_USER
    row = await stmt.fetchrow(session, **values, since=since, cap=cap)
    return int(row["n"]), row["id"]


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
