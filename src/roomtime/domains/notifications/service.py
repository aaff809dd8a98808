"""Notifications (R-32): an outbox written inside the business transaction, delivered after
commit, retried with exponential backoff until the channel takes it; and (R-37) the in-app
inbox, where every message addressed to a user is kept for them in the same transaction."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.domains.notifications import repository
from roomtime.domains.notifications._inbox import ack_all as ack_all
from roomtime.domains.notifications._inbox import ack_notification as ack_notification
from roomtime.domains.notifications._inbox import keeps_in_app
from roomtime.domains.notifications._inbox import list_notifications as list_notifications
from roomtime.domains.notifications._inbox import unread_count as unread_count
from roomtime.domains.notifications.models import OutboxMessage
from roomtime.domains.notifications.senders import (
    DeliveryError,
    EmailSender,
    TelegramSender,
    email_sender,
    outbox_message_id,
    telegram_sender,
)
from roomtime.domains.notifications.templates import Message
from roomtime.domains.users import service as users_service
from roomtime.settings import Settings

log = structlog.get_logger(__name__)

DEFAULT_LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)
DEFAULT_RETRY_BASE = timedelta(seconds=30)
CAP_WINDOW = timedelta(hours=1)
DEFAULT_MAX_PER_USER_PER_HOUR = 20


def backoff(attempts: int, base: timedelta = DEFAULT_RETRY_BASE) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour: a mail server that is down delays mail."""
    return min(base * 2 ** max(0, attempts - 1), MAX_BACKOFF)


@dataclass(frozen=True, slots=True)
class RelayReport:
    attempted: int
    sent: int  # the rest failed (retried later with backoff) or another deliverer took them


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    pending: int
    oldest_age_seconds: float  # 0 when nothing is pending


async def outbox_backlog(session: AsyncSession, now: datetime) -> OutboxBacklog:
    """What the outbox still has to deliver, for the backlog gauges and their alert."""
    pending, oldest = await repository.backlog(session)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return OutboxBacklog(pending=pending, oldest_age_seconds=age)


@dataclass(frozen=True, slots=True)
class RidingMail:
    """A mail to an account riding on another domain's statement (`Notifier.riding_email`):
    `params` for that statement, built with `riding(statement, kept=kept)`."""

    message: Message
    user_id: int
    dedupe_key: str
    kept: bool
    params: dict[str, object]


# The mail's part of a statement that carries it (notifications.repository.riding).
riding = repository.riding


def _outbox_values(
    to: str, message: Message, user_id: int | None, dedupe_key: str | None, now: datetime
) -> dict[str, object]:
    return {
        "kind": message.kind,
        "recipient": to,
        "subject": message.subject,
        "body": message.body,
        "sensitive": message.sensitive,
        "user_id": user_id,
        "dedupe_key": dedupe_key,
        # The application clock, not the database's: due-ness and the hourly cap are
        # judged by it.
        "created_at": now,
    }


class Notifier:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        sender: EmailSender,
        clock: Clock,
        *,
        telegram: TelegramSender | None = None,
        retry_base: timedelta = DEFAULT_RETRY_BASE,
        lease: timedelta = DEFAULT_LEASE,
        immediate: bool = True,
        max_per_user_per_hour: int = DEFAULT_MAX_PER_USER_PER_HOUR,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._sender = sender
        self._clock = clock
        self._telegram = telegram
        self._retry_base = retry_base
        self._lease = lease
        self._immediate = immediate
        self._max_per_user_per_hour = max_per_user_per_hour
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
        """Add the message to the caller's transaction; try to deliver it once it commits.

        A message for an account is also kept in its in-app inbox (R-37), even when the
        hourly mail cap drops the mail: the cap protects a mailbox, and the inbox is only
        read by the account itself. The dedupe key keeps either from storing it twice.

        None when nothing was queued: the dedupe key was used before, or the account has
        had its hourly share of messages (the caller's use case goes on regardless).
        """
        now = self._clock()
        # The inserts below run raw and do not flush pending ORM changes: those are written
        # first, as they always were.
        await session.flush()
        values = _outbox_values(to, message, user_id, dedupe_key, now)
        if user_id is None:
            message_id = await repository.add(
                session, {**values, "channel": "email", "available_at": now}
            )
        else:
            # The mail, unless the account had its hourly share, and its inbox copy in any
            # case, in one statement (notifications.repository.add_for_user). Counted in the
            # outbox, in the caller's transaction: the database is the record of what was
            # sent, across every API process and worker. Mail rows only, so a message's
            # Telegram copy counts with it as one.
            counted, message_id = await repository.add_for_user(
                session,
                {**values, "cta_url": message.cta_url, "cta_label": message.cta_label},
                kept=keeps_in_app(message),
                since=now - CAP_WINDOW,
                cap=self._max_per_user_per_hour,
            )
            self._log_if_capped(counted, user_id, message)
        await self._after_queued(session, message, user_id, dedupe_key, message_id)
        return message_id

    def riding_email(
        self, *, to: str, message: Message, user_id: int, dedupe_key: str
    ) -> RidingMail:
        """`enqueue_email` of a mail to an account, as the parameters of the statement of
        another domain that carries it (`riding`): the same rows, the same cap, in one
        round trip with that statement. Its row's two values then go to `riding_queued`."""
        now = self._clock()
        values = {
            **_outbox_values(to, message, user_id, dedupe_key, now),
            "cta_url": message.cta_url,
            "cta_label": message.cta_label,
        }
        params = repository.riding_params(
            values, since=now - CAP_WINDOW, cap=self._max_per_user_per_hour
        )
        return RidingMail(message, user_id, dedupe_key, keeps_in_app(message), params)

    async def riding_queued(
        self, session: AsyncSession, mail: RidingMail, counted: int, message_id: int | None
    ) -> int | None:
        """What `enqueue_email` does once its rows are written, for a mail that rode on
        another statement (`counted`, `message_id`: that statement's `mail_counted` and
        `mail_id`): the cap's warning, the delivery after commit, the Telegram copy."""
        self._log_if_capped(counted, mail.user_id, mail.message)
        await self._after_queued(session, mail.message, mail.user_id, mail.dedupe_key, message_id)
        return message_id

    def _log_if_capped(self, counted: int, user_id: int, message: Message) -> None:
        if counted >= self._max_per_user_per_hour:
            # Never the body or subject: they are the account's private business.
            log.warning(
                "notification_dropped_over_cap",
                user_id=user_id,
                kind=message.kind,
                limit=self._max_per_user_per_hour,
            )

    async def _after_queued(
        self,
        session: AsyncSession,
        message: Message,
        user_id: int | None,
        dedupe_key: str | None,
        message_id: int | None,
    ) -> None:
        if message_id is not None:
            tx.on_commit(session, lambda: self._kick(message_id))
            await self._enqueue_telegram(session, message, user_id, dedupe_key)

    async def _enqueue_telegram(
        self, session: AsyncSession, message: Message, user_id: int | None, dedupe_key: str | None
    ) -> None:
        """The same message to the user's Telegram chat, when a bot is configured.

        Never a sensitive one: a reset link belongs only in the mailbox that proves the
        account is yours.
        """
        if self._telegram is None or user_id is None or message.sensitive:
            return
        user = await users_service.get_user(session, user_id)
        if not user.telegram_chat_id:
            return
        message_id = await repository.add(
            session,
            {
                "kind": message.kind,
                "channel": "telegram",
                "recipient": user.telegram_chat_id,
                "subject": message.subject,
                "body": message.body,
                "user_id": user_id,
                "dedupe_key": f"{dedupe_key}:telegram" if dedupe_key else None,
                "created_at": self._clock(),
                "available_at": self._clock(),
            },
        )
        if message_id is not None:
            tx.on_commit(session, lambda: self._kick(message_id))

    async def _kick(self, message_id: int) -> None:
        # Delivery must not hold up the response (nor reveal by its timing whether a mail was
        # sent); the outbox row is the durable record if this task never finishes.
        if not self._immediate:
            return
        task = asyncio.create_task(self.deliver(message_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, message_id: int) -> bool:
        """One delivery attempt; True when the message is (now or already) sent."""
        now = self._clock()
        async with self._sessionmaker() as session, tx.transactional(session):
            message = await repository.claim(session, message_id, now, self._lease)
        if message is None:
            log.debug("notification_not_due", id=message_id)
            return False
        try:
            await self._send(message)
        except DeliveryError as exc:
            retry_at = self._clock() + backoff(message.attempts, self._retry_base)
            log.warning(
                "notification_delivery_failed",
                id=message_id,
                channel=message.channel,
                attempts=message.attempts,
                retry_at=retry_at.isoformat(),
                error=str(exc),
            )
            async with self._sessionmaker() as session, tx.transactional(session):
                await repository.mark_failed(session, message_id, str(exc), retry_at)
            return False
        async with self._sessionmaker() as session, tx.transactional(session):
            await repository.mark_sent(session, message_id, self._clock(), message.sensitive)
        log.info("notification_sent", id=message_id, kind=message.kind, channel=message.channel)
        return True

    async def _send(self, message: OutboxMessage) -> None:
        if message.channel == "telegram":
            if self._telegram is None:
                raise DeliveryError("telegram: TELEGRAM_BOT_TOKEN is not set")
            await self._telegram.send(message.recipient, f"{message.subject}\n\n{message.body}")
            return
        await self._sender.send(
            message.recipient,
            message.subject,
            message.body,
            message_id=outbox_message_id(message.id, message.created_at),
        )

    async def relay(self, limit: int = 100) -> RelayReport:
        """One attempt at each message due now (at most `limit`), oldest first."""
        async with self._sessionmaker() as session:
            ids = await repository.due_ids(session, self._clock(), limit)
        sent = sum([await self.deliver(message_id) for message_id in ids])
        return RelayReport(attempted=len(ids), sent=sent)

    async def drain(self) -> None:
        """Wait for in-flight deliveries (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def build_notifier(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock
) -> Notifier:
    """The notifier of a process (API or worker), with the channels the settings enable."""
    return Notifier(
        sessionmaker,
        email_sender(settings),
        clock,
        telegram=telegram_sender(settings),
        retry_base=timedelta(seconds=settings.mail.notification_retry_base_seconds),
        lease=timedelta(seconds=settings.mail.notification_lease_seconds),
        immediate=settings.mail.notifications_immediate,
        max_per_user_per_hour=settings.mail.max_mails_per_user_per_hour,
    )
