"""The real `roomtime worker` processes on real PostgreSQL, Redis and SMTP servers, with a
schedule of seconds instead of minutes (set through the JOBS_*_CRON variables)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller

from roomtime.core.clock import utcnow
from roomtime.domains.auth.service import ForgotDeps, forgot
from roomtime.domains.bookings.cancel import cancel
from roomtime.domains.bookings.confirm import confirm
from roomtime.domains.bookings.factory import wiring_of
from roomtime.domains.bookings.hold import hold
from roomtime.domains.bookings.schemas import HoldRequest
from roomtime.domains.jobs.context import job_context
from roomtime.infrastructure import infra_of
from roomtime.settings import DatabaseSettings, MailSettings, RedisSettings, Settings
from tests.conftest import make_settings
from tests.factories import rows
from tests.factories.resources import every_day, make_resource
from tests.services import ServiceUrls
from tests.support.processes import free_port
from tests.support.smtp import Inbox, body_of, smtp_server
from tests.support.telegram import bot_api
from tests.support.workers import (
    empty,
    eventually,
    expired_hold,
    migrated_database,
    sql,
    worker_env,
    workers,
)

# One xdist worker runs the whole module, so its module-scoped fixtures are set up once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("worker-process")]

EVERY_SECOND = "* * * * * *"
BOT_TOKEN = "987654:e2e-bot-token"


@pytest.fixture(scope="module")
async def database(services: ServiceUrls) -> AsyncIterator[str]:
    yield await migrated_database(services, "worker")


@pytest.fixture
async def db(database: str) -> str:
    await empty(database)
    return database


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as found:
        yield found


async def test_two_workers_run_each_scheduled_run_once(
    db: str, services: ServiceUrls, inbox: Inbox, tmp_path: Path
) -> None:
    booking = await expired_hold(db)
    env = worker_env(
        db,
        services.redis_url,
        tmp_path,
        SMTP_HOST=inbox.host,
        SMTP_PORT=str(inbox.port),
        JOBS_RELEASE_HOLDS_CRON=EVERY_SECOND,
        JOBS_SEND_NOTIFICATIONS_CRON=EVERY_SECOND,
    )
    with workers(2, env, tmp_path) as logs:
        [mail] = await inbox.wait_for(1, within=20)
        await eventually(
            lambda: sum(len(log.runs("release-holds")) for log in logs) >= 4,
            what="four release-holds runs",
        )

    runs = [run for log in logs for run in log.runs("release-holds")]
    run_ids = [run["job_id"] for run in runs]
    assert len(run_ids) == len(set(run_ids)), "a scheduled run happened twice"
    assert sum(run["expired"] for run in runs) == 1
    assert "expired" in mail["Subject"] and mail["To"] == "late@example.com"
    assert len(inbox.messages) == 1
    [row] = await sql(db, "SELECT status FROM booking WHERE id = $1", booking)
    assert row["status"] == "expired"
    [slot] = await sql(db, "SELECT status, booking_id FROM time_slot")
    assert (slot["status"], slot["booking_id"]) == ("available", None)
    audits = await sql(db, "SELECT 1 FROM audit_log WHERE action = 'booking.expired'")
    assert len(audits) == 1


async def test_mail_server_down_delays_mail_but_loses_none(
    db: str, services: ServiceUrls, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    await sql(
        db,
        "INSERT INTO notification_outbox (kind, recipient, subject, body) "
        "VALUES ('booking_confirmed', 'patient@example.com', 'Booking #1 confirmed', 'Hi')",
    )
    env = worker_env(
        db,
        services.redis_url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(port),
        NOTIFICATION_RETRY_BASE_SECONDS="0.5",
        JOBS_SEND_NOTIFICATIONS_CRON=EVERY_SECOND,
    )
    query = "SELECT attempts, last_error, sent_at FROM notification_outbox"
    with workers(1, env, tmp_path):
        failing = await eventually(
            lambda: _first(sql(db, query + " WHERE attempts >= 2")), what="two failed attempts"
        )
        assert failing["sent_at"] is None and failing["last_error"]

        inbox = Inbox("127.0.0.1", port)
        server = Controller(inbox, hostname=inbox.host, port=port)
        server.start()
        try:
            sent = await eventually(
                lambda: _first(sql(db, query + " WHERE sent_at IS NOT NULL")),
                what="delivery once the server is up",
            )
        finally:
            server.stop()

    # At least one attempt failed before (`failing` saw its error). An attempt is counted
    # when it is claimed, so the second may have been in flight when the server came up
    # and been the one that delivered: two attempts, not necessarily three.
    assert sent["last_error"] is None and sent["attempts"] >= 2
    [mail] = inbox.messages
    assert (mail["To"], mail["Subject"]) == ("patient@example.com", "Booking #1 confirmed")


async def _first(rows: Awaitable[list[asyncpg.Record]]) -> asyncpg.Record | None:
    found = await rows
    return found[0] if found else None


def _next_quarter(now: datetime) -> datetime:
    start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    return start + timedelta(minutes=30)  # 15–30 minutes ahead: within REMINDER_MINUTES


async def _every_kind_of_message(ctx: dict[str, Any], settings: Settings) -> dict[str, int]:
    """Through the services, as the API would: confirm, cancel (user and admin), a hold left
    to expire, a booking starting soon, a password reset. They only write the outbox."""
    async with infra_of(ctx).sessionmaker() as session:
        user = await rows.user(session, email="guest@example.com", telegram_chat_id="777")
        admin = await rows.user(session, email="boss@example.com", role="admin")
        await session.commit()
        hours = every_day("00:00", "24:00")
        room = await make_resource(
            session, utcnow, horizon_days=2, opening_hours=hours, slot_minutes=15, name="Blue room"
        )
        quick = await make_resource(
            session,
            utcnow,
            horizon_days=2,
            opening_hours=hours,
            slot_minutes=15,
            hold_ttl_seconds=1,
            name="Quick room",
        )
        wiring = wiring_of(session, infra_of(ctx))
        base = _next_quarter(utcnow())

        async def book(start: datetime) -> int:
            span = {"starts_at": start, "ends_at": start + timedelta(minutes=15)}
            held = await hold(wiring.hold_deps(), user, HoldRequest(resource_id=room.id, **span))
            await confirm(wiring.confirm_deps(), user, held.id)
            return held.id

        ids = {"soon": await book(base), "mine": await book(base + timedelta(hours=2))}
        ids["theirs"] = await book(base + timedelta(hours=3))
        await cancel(wiring.io, user, ids["mine"])
        await cancel(wiring.io, admin, ids["theirs"], "Maintenance")
        span = {"starts_at": base, "ends_at": base + timedelta(minutes=15)}
        quick_hold = HoldRequest(resource_id=quick.id, **span)
        ids["held"] = (await hold(wiring.hold_deps(), user, quick_hold)).id
        deps = ForgotDeps(session, settings, utcnow, infra_of(ctx).limiter, infra_of(ctx).notifier)
        await forgot(deps, "guest@example.com", ip="127.0.0.1")
    return ids


async def _unsent_after(db: str, *, within: float) -> list[asyncpg.Record]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        unsent = await sql(db, "SELECT id FROM notification_outbox WHERE sent_at IS NULL")
        if not unsent or asyncio.get_running_loop().time() > deadline:
            return unsent
        await asyncio.sleep(0.2)


async def test_the_worker_sends_every_notification(
    db: str, services: ServiceUrls, inbox: Inbox, tmp_path: Path
) -> None:
    with bot_api() as bot:
        env = worker_env(
            db,
            services.redis_url,
            tmp_path,
            SMTP_HOST=inbox.host,
            SMTP_PORT=str(inbox.port),
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_BASE_URL=bot.base_url,
            JOBS_RELEASE_HOLDS_CRON=EVERY_SECOND,
            JOBS_REMIND_UPCOMING_CRON=EVERY_SECOND,
            JOBS_SEND_NOTIFICATIONS_CRON=EVERY_SECOND,
        )
        settings = make_settings(
            services,
            tmp_path,
            database=DatabaseSettings(database_url=db, db_pool_size=3),
            redis=RedisSettings(
                redis_url=services.redis_url, redis_key_prefix=env["REDIS_KEY_PREFIX"]
            ),
            # Never sends itself (a closed SMTP port, no immediate send): the worker does.
            mail=MailSettings(
                smtp_host="127.0.0.1",
                smtp_port=free_port(),
                notifications_immediate=False,
                telegram_bot_token=BOT_TOKEN,
                telegram_api_base_url=bot.base_url,
            ),
        )
        with workers(1, env, tmp_path):
            async with job_context(settings) as ctx:
                ids = await _every_kind_of_message(ctx, settings)
            await inbox.wait_for(8, within=20)
            await asyncio.to_thread(bot.wait_for, 7)
            # A message reaches its server before the worker records it as sent: stopping
            # the worker in between would leave a delivered row unsent, so wait for the
            # records too (on a loaded machine the commit can trail the delivery).
            unsent = await _unsent_after(db, within=10)

    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == sorted(
        [f"Booking #{ids[k]} confirmed: Blue room" for k in ("soon", "mine", "theirs")]
        + [f"Booking #{ids[k]} cancelled: Blue room" for k in ("mine", "theirs")]
        + ["Your hold on Quick room expired", "Reset your RoomTime password"]
        + [next(s for s in subjects if s.startswith("Reminder: Blue room in "))]
    )
    cancelled = {m["Subject"]: body_of(m) for m in inbox.messages if "cancelled" in m["Subject"]}
    assert "cancelled by you" in cancelled[f"Booking #{ids['mine']} cancelled: Blue room"]
    by_admin = cancelled[f"Booking #{ids['theirs']} cancelled: Blue room"]
    assert "by an administrator" in by_admin and "Maintenance" in by_admin
    assert all(path == f"/bot{BOT_TOKEN}/sendMessage" for path, _ in bot.requests)
    assert {body["chat_id"] for _, body in bot.requests} == {"777"}
    texts = [body["text"] for _, body in bot.requests]
    assert len(texts) == 7 and not any("reset" in t.lower() for t in texts)
    assert unsent == []
