"""Outbox delivery by the worker's relay job: email, the optional Telegram copy through a
local stand-in for the Bot API, retries after a failure, nothing sent twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import FrozenClock
from roomtime.core.tasks import cancel_and_wait
from roomtime.domains.jobs.context import job_context
from roomtime.domains.notifications import templates
from roomtime.domains.notifications.service import DEFAULT_LEASE, build_notifier
from roomtime.domains.notifications.tasks import send_notifications_job
from roomtime.infrastructure import infra_of
from roomtime.settings import MailSettings, Settings
from tests.conftest import make_settings
from tests.factories import rows
from tests.services import ServiceUrls
from tests.support.smtp import Inbox, smtp_server
from tests.support.telegram import BotApi, bot_api

pytestmark = pytest.mark.integration

TOKEN = "123456:test-bot-token"
FACTS = templates.BookingFacts(7, "Blue room", "Mon 07 Jan 2030 10:00 (UTC)", "11:00")
ROW = "SELECT {} FROM notification_outbox WHERE channel = :c"


async def scalar(session: AsyncSession, sql: str, **params: Any) -> Any:
    value = await session.scalar(text(sql), params)
    await session.commit()
    return value


@pytest.fixture
def bot() -> Iterator[BotApi]:
    with bot_api() as api:
        yield api


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as found:
        yield found


def _settings(
    services: ServiceUrls, tmp_path: Path, inbox: Inbox, bot: BotApi, **mail: Any
) -> Settings:
    return make_settings(
        services,
        tmp_path,
        mail=MailSettings(
            smtp_host=inbox.host,
            smtp_port=inbox.port,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=bot.base_url,
            **mail,
        ),
    )


@pytest.fixture
async def ctx(
    services: ServiceUrls,
    tmp_path: Path,
    inbox: Inbox,
    bot: BotApi,
    clock: FrozenClock,
    session: AsyncSession,
    redis: Redis,
) -> AsyncIterator[dict[str, Any]]:
    # The API's immediate send is off: everything below is sent by the relay job.
    settings = _settings(services, tmp_path, inbox, bot, notifications_immediate=False)
    async with job_context(settings, clock) as found:
        yield found


async def _enqueue(
    ctx: dict[str, Any], session: AsyncSession, message: templates.Message, key: str
) -> None:
    user = await rows.user(session, email="fan@example.com", telegram_chat_id="4242")
    await session.commit()
    async with tx.transactional(session):
        await infra_of(ctx).notifier.enqueue_email(
            session, to=user.email, message=message, user_id=user.id, dedupe_key=key
        )


async def test_mail_and_telegram_are_sent_once(
    ctx: dict[str, Any], session: AsyncSession, inbox: Inbox, bot: BotApi
) -> None:
    await _enqueue(ctx, session, templates.booking_confirmed(FACTS), "booking_confirmed:7")

    assert await send_notifications_job(ctx) == {"due": 2, "sent": 2, "deferred": 0}
    [mail] = await inbox.wait_for(1)
    assert mail["Subject"] == "Booking #7 confirmed: Blue room"
    [(path, body)] = bot.requests
    assert path == f"/bot{TOKEN}/sendMessage"
    assert body["chat_id"] == "4242"
    assert body["text"].startswith("Booking #7 confirmed: Blue room\n\n")

    assert await send_notifications_job(ctx) == {"due": 0, "sent": 0, "deferred": 0}
    assert len(inbox.messages) == 1 and len(bot.requests) == 1


async def test_secrets_never_go_to_telegram(
    ctx: dict[str, Any], session: AsyncSession, inbox: Inbox, bot: BotApi
) -> None:
    link = "http://127.0.0.1:8000/reset?token=abc"
    await _enqueue(ctx, session, templates.password_reset(link, 30), "reset:1")

    assert await send_notifications_job(ctx) == {"due": 1, "sent": 1, "deferred": 0}
    assert await scalar(session, ROW.format("count(*)"), c="telegram") == 0
    assert bot.requests == []


async def test_a_failing_bot_api_is_retried_with_backoff(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock, bot: BotApi
) -> None:
    bot.status = 502
    await _enqueue(ctx, session, templates.hold_expired(FACTS), "hold_expired:7")

    assert await send_notifications_job(ctx) == {"due": 2, "sent": 1, "deferred": 1}
    attempts, error, sent = (
        await session.execute(
            text(ROW.format("attempts, last_error, sent_at")),
            {"c": "telegram"},
        )
    ).one()
    await session.commit()
    assert (attempts, sent) == (1, None)
    assert "HTTP 502" in error and TOKEN not in error

    bot.status = 200
    assert await send_notifications_job(ctx) == {"due": 0, "sent": 0, "deferred": 0}
    clock.advance(seconds=31)  # the first retry waits 30 s
    assert await send_notifications_job(ctx) == {"due": 1, "sent": 1, "deferred": 0}
    assert len(bot.requests) == 2
    assert await scalar(session, ROW.format("last_error"), c="telegram") is None


async def test_a_redelivered_mail_keeps_its_message_id(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock, inbox: Inbox
) -> None:
    await _enqueue(ctx, session, templates.booking_confirmed(FACTS), "booking_confirmed:7")
    assert (await send_notifications_job(ctx))["sent"] == 2
    # A deliverer that died after the server took the mail, before it marked the row sent.
    await session.execute(text("UPDATE notification_outbox SET sent_at = NULL"))
    await session.commit()
    clock.advance(seconds=DEFAULT_LEASE.total_seconds() + 1)  # its lease runs out: due again
    assert (await send_notifications_job(ctx))["sent"] == 2

    first, second = await inbox.wait_for(2)
    outbox_id = await scalar(session, ROW.format("id"), c="email")
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<outbox-{outbox_id}-")


async def test_a_message_whose_deliverer_died_is_due_again_after_the_configured_lease(
    ctx: dict[str, Any],
    services: ServiceUrls,
    tmp_path: Path,
    session: AsyncSession,
    clock: FrozenClock,
    inbox: Inbox,
) -> None:
    # A mail server that takes the connection and never greets: the deliverer is stuck in
    # its send when it "dies" (its task is cancelled), after it took the message.
    connected = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = make_settings(
        services,
        tmp_path,
        mail=MailSettings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            notification_lease_seconds=5,
            notifications_immediate=False,
        ),
    )
    dying = build_notifier(infra_of(ctx).sessionmaker, settings, clock)
    user = await rows.user(session, email="fan@example.com")
    await session.commit()
    async with tx.transactional(session):
        message_id = await dying.enqueue_email(
            session,
            to=user.email,
            message=templates.booking_confirmed(FACTS),
            user_id=user.id,
            dedupe_key="booking_confirmed:7",
        )
    assert message_id is not None
    try:
        deliverer = asyncio.create_task(dying.deliver(message_id))
        # It connects only after taking the message (its claim has committed).
        await asyncio.wait_for(connected.wait(), timeout=30)
        # Repeated if need be: Python 3.11's wait_for inside a client may drop a cancel.
        await cancel_and_wait(deliverer, repeat_every=0.2)
    finally:
        server.close()
    assert deliverer.cancelled()
    assert await scalar(session, ROW.format("attempts"), c="email") == 1

    clock.advance(seconds=4)  # still within the 5 s lease: nobody takes it
    assert await send_notifications_job(ctx) == {"due": 0, "sent": 0, "deferred": 0}
    clock.advance(seconds=2)
    assert await send_notifications_job(ctx) == {"due": 1, "sent": 1, "deferred": 0}
    [mail] = await inbox.wait_for(1)
    assert mail["Subject"] == "Booking #7 confirmed: Blue room"
    assert await scalar(session, ROW.format("attempts"), c="email") == 2
