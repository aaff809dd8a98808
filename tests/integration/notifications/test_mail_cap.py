"""MAX_MAILS_PER_USER_PER_HOUR: counted in the outbox on the application's clock; over the
cap a message is dropped with a warning that carries no text of it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import FrozenClock
from roomtime.core.logging import configure_logging
from roomtime.domains.jobs.context import job_context
from roomtime.domains.notifications import templates
from roomtime.domains.notifications.service import Notifier
from roomtime.infrastructure import infra_of
from roomtime.settings import MailSettings
from tests.conftest import make_settings
from tests.factories import rows
from tests.services import ServiceUrls
from tests.support.telegram import BotApi, bot_api

pytestmark = pytest.mark.integration

CAP = 3
FACTS = templates.BookingFacts(7, "Blue room", "Mon 07 Jan 2030 10:00 (UTC)", "11:00")
_keys = count(1)


@dataclass(frozen=True)
class Account:
    id: int
    email: str


@pytest.fixture
def bot() -> Iterator[BotApi]:
    with bot_api() as api:
        yield api


@pytest.fixture
async def notifier(
    services: ServiceUrls,
    tmp_path: Path,
    bot: BotApi,
    clock: FrozenClock,
    session: AsyncSession,
    redis: Redis,
) -> AsyncIterator[Notifier]:
    # Nothing is delivered here: the outbox rows are what the cap decides on.
    mail = MailSettings(
        smtp_host=None,
        telegram_bot_token="123456:test-bot-token",
        telegram_api_base_url=bot.base_url,
        notifications_immediate=False,
        max_mails_per_user_per_hour=CAP,
    )
    configure_logging()  # as every process does at startup: structlog through logging
    async with job_context(make_settings(services, tmp_path, mail=mail), clock) as ctx:
        yield infra_of(ctx).notifier


async def account(session: AsyncSession, **fields: Any) -> Account:
    user = await rows.user(session, **fields)
    await session.commit()
    return Account(user.id, user.email)


async def send(notifier: Notifier, session: AsyncSession, to: Account) -> int | None:
    async with tx.transactional(session):
        return await notifier.enqueue_email(
            session,
            to=to.email,
            message=templates.booking_confirmed(FACTS),
            user_id=to.id,
            dedupe_key=f"test:{next(_keys)}",
        )


async def rows_of(session: AsyncSession, user_id: int, channel: str = "email") -> int:
    found = await session.scalar(
        text("SELECT count(*) FROM notification_outbox WHERE user_id = :u AND channel = :c"),
        {"u": user_id, "c": channel},
    )
    await session.commit()
    return int(found)


async def test_over_the_cap_messages_are_dropped_and_logged_without_their_text(
    notifier: Notifier, session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    ada, bob = await account(session), await account(session)
    results = [await send(notifier, session, ada) for _ in range(CAP + 2)]
    assert all(r is not None for r in results[:CAP]) and results[CAP:] == [None, None]
    assert await rows_of(session, ada.id) == CAP
    warnings = [
        (r.levelno, {k: r.msg[k] for k in r.msg if k not in ("timestamp", "logger")})
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg["event"] == "notification_dropped_over_cap"
    ]
    expected = {
        "event": "notification_dropped_over_cap",
        "level": "warning",
        "user_id": ada.id,
        "kind": "booking_confirmed",
        "limit": CAP,
    }
    assert warnings == [(logging.WARNING, expected)] * 2
    logged = caplog.text + " ".join(repr(r.msg) for r in caplog.records)
    assert "Blue room" not in logged and ada.email not in logged
    # The cap is per account.
    assert await send(notifier, session, bob) is not None


async def test_the_window_is_the_last_hour_on_the_applications_clock(
    notifier: Notifier, session: AsyncSession, clock: FrozenClock
) -> None:
    ada = await account(session)
    for _ in range(CAP):
        assert await send(notifier, session, ada) is not None
    clock.advance(minutes=59)
    assert await send(notifier, session, ada) is None
    clock.advance(minutes=1)  # the first three are an hour old now
    assert await send(notifier, session, ada) is not None
    assert await rows_of(session, ada.id) == CAP + 1


async def test_a_telegram_copy_counts_with_its_mail_as_one(
    notifier: Notifier, session: AsyncSession
) -> None:
    ada = await account(session, telegram_chat_id="4242")
    for _ in range(CAP):
        assert await send(notifier, session, ada) is not None
    assert await rows_of(session, ada.id, "telegram") == CAP
    assert await send(notifier, session, ada) is None
    assert (await rows_of(session, ada.id), await rows_of(session, ada.id, "telegram")) == (
        CAP,
        CAP,
    )
