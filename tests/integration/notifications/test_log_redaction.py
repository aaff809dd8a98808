"""A real Telegram delivery through the outbox, with everything logged at DEBUG and captured
as the log handler writes it: the bot token (part of every Bot API URL) is nowhere."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import FrozenClock
from roomtime.core.logging import configure_logging
from roomtime.domains.jobs.context import job_context
from roomtime.domains.notifications import templates
from roomtime.domains.notifications.tasks import send_notifications_job
from roomtime.infrastructure import infra_of
from roomtime.settings import AppSettings, MailSettings, Settings
from tests.conftest import make_settings
from tests.factories import rows
from tests.services import ServiceUrls
from tests.support.smtp import Inbox, smtp_server
from tests.support.telegram import BotApi, bot_api

pytestmark = pytest.mark.integration

TOKEN = "987654321:AAH-very_Secret-bot-token"
SECRET_PART = TOKEN.split(":", 1)[1]
FACTS = templates.BookingFacts(9, "Blue room", "Mon 07 Jan 2030 10:00 (UTC)", "11:00")


@pytest.fixture
def bot() -> Iterator[BotApi]:
    with bot_api() as api:
        yield api


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as found:
        yield found


@pytest.fixture
def debug_settings(services: ServiceUrls, tmp_path: Path, inbox: Inbox, bot: BotApi) -> Settings:
    return make_settings(
        services,
        tmp_path,
        app=AppSettings(environment="test", data_dir=tmp_path, log_level="DEBUG"),
        mail=MailSettings(
            smtp_host=inbox.host,
            smtp_port=inbox.port,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=bot.base_url,
            notifications_immediate=False,
        ),
    )


@pytest.fixture
def captured_logs(
    debug_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], str]]:
    """Logging as `roomtime worker` sets it up, at DEBUG; returns all it wrote to stdout."""
    root = logging.getLogger()
    level = root.level
    stdout = io.StringIO()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", stdout)  # the log handler keeps the stream it was given
        configure_logging("DEBUG", "json", secrets=debug_settings.secret_values())
    yield stdout.getvalue
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture
async def ctx(
    debug_settings: Settings,
    clock: FrozenClock,
    session: AsyncSession,
    redis: Redis,
) -> AsyncIterator[dict[str, Any]]:
    async with job_context(debug_settings, clock) as found:
        yield found


async def _send_one_telegram_message(
    ctx: dict[str, Any], session: AsyncSession, bot: BotApi
) -> None:
    user = await rows.user(session, email="fan@example.com", telegram_chat_id="4242")
    await session.commit()
    async with tx.transactional(session):
        await infra_of(ctx).notifier.enqueue_email(
            session,
            to=user.email,
            message=templates.booking_confirmed(FACTS),
            user_id=user.id,
            dedupe_key="booking_confirmed:9",
        )
    assert await send_notifications_job(ctx) == {"due": 2, "sent": 2, "deferred": 0}
    [(path, _)] = bot.requests
    assert path == f"/bot{TOKEN}/sendMessage"  # the token really was in the URL


async def test_a_telegram_delivery_logs_no_token_at_debug(
    ctx: dict[str, Any],
    session: AsyncSession,
    bot: BotApi,
    captured_logs: Callable[[], str],
) -> None:
    await _send_one_telegram_message(ctx, session, bot)

    logs = captured_logs()
    assert '"channel": "telegram"' in logs and '"event": "notification_sent"' in logs
    assert '"level": "debug"' in logs  # the capture does hold DEBUG lines
    assert SECRET_PART not in logs
    assert "sendMessage" not in logs  # httpx's request lines are quieted


async def test_a_library_logging_the_bot_url_is_scrubbed(
    ctx: dict[str, Any],
    session: AsyncSession,
    bot: BotApi,
    captured_logs: Callable[[], str],
) -> None:
    # As if an operator (or a library update) turned httpx's request log back on.
    logging.getLogger("httpx").setLevel(logging.DEBUG)

    await _send_one_telegram_message(ctx, session, bot)

    logs = captured_logs()
    assert "/bot[redacted]/sendMessage" in logs
    assert SECRET_PART not in logs
