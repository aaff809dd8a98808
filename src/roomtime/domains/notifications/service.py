"""Notifications (R-32): an outbox written inside the business transaction, delivered after
commit, retried with exponential backoff until the channel takes it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.domains.notifications import repository
from roomtime.domains.notifications.senders import DeliveryError, EmailSender
from roomtime.domains.notifications.templates import Message

log = structlog.get_logger(__name__)

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour: a mail server that is down delays mail."""
    return min(timedelta(seconds=30 * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


class Notifier:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], sender: EmailSender, clock: Clock
    ) -> None:
        self._sessionmaker = sessionmaker
        self._sender = sender
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()

    async def enqueue_email(
        self,
        session: AsyncSession,
        *,
        to: str,
        message: Message,
        user_id: int | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Add the message to the caller's transaction; try to deliver it once it commits."""
        message_id = await repository.add(
            session,
            {
                "kind": message.kind,
                "channel": "email",
                "recipient": to,
                "subject": message.subject,
                "body": message.body,
                "sensitive": message.sensitive,
                "user_id": user_id,
                "dedupe_key": dedupe_key,
                # The application clock, not the database's: due-ness is judged by it.
                "available_at": self._clock(),
            },
        )
        if message_id is not None:
            tx.on_commit(session, lambda: self._kick(message_id))
        return message_id

    async def _kick(self, message_id: int) -> None:
        # Delivery must not hold up the response (nor reveal by its timing whether a mail was
        # sent); the outbox row is the durable record if this task never finishes.
        task = asyncio.create_task(self.deliver(message_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, message_id: int) -> bool:
        """One delivery attempt; True when the message is (now or already) sent."""
        now = self._clock()
        async with self._sessionmaker() as session, tx.transactional(session):
            message = await repository.claim(session, message_id, now, LEASE)
        if message is None:
            log.debug("notification_not_due", id=message_id)
            return False
        try:
            await self._sender.send(message.recipient, message.subject, message.body)
        except DeliveryError as exc:
            retry_at = self._clock() + backoff(message.attempts)
            log.warning("notification_delivery_failed", id=message_id, error=str(exc))
            async with self._sessionmaker() as session, tx.transactional(session):
                await repository.mark_failed(session, message_id, str(exc), retry_at)
            return False
        async with self._sessionmaker() as session, tx.transactional(session):
            await repository.mark_sent(session, message_id, self._clock(), message.sensitive)
        log.info("notification_sent", id=message_id, kind=message.kind)
        return True

    async def deliver_due(self, limit: int = 100) -> int:
        """Deliver every message that is due; for the worker. Returns how many were sent."""
        async with self._sessionmaker() as session:
            ids = await repository.due_ids(session, self._clock(), limit)
        return sum([await self.deliver(message_id) for message_id in ids])

    async def drain(self) -> None:
        """Wait for in-flight deliveries (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
