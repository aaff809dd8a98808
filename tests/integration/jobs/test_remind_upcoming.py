"""remind-upcoming: one reminder per confirmed booking starting within REMINDER_MINUTES,
delivered by mail, never twice, and none for pending, cancelled or far-off bookings."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.domains.bookings.change import change
from roomtime.domains.bookings.schemas import ChangeRequest
from roomtime.domains.bookings.tasks import remind_upcoming_job
from roomtime.infrastructure import infra_of
from tests.factories import rows
from tests.factories.resources import make_resource, occupy
from tests.integration.jobs.conftest import booking_wiring, scalar
from tests.support.smtp import Inbox, body_of

OUTBOX = "SELECT count(*) FROM notification_outbox WHERE kind = 'booking_reminder'"


async def test_one_reminder_per_booking(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock, inbox: Inbox
) -> None:
    assert infra_of(ctx).settings.mail.reminder_minutes == 60
    user = await rows.user(session, email="guest@example.com")
    room = (await make_resource(session, clock, horizon_days=1, name="Blue room")).id
    now = clock()

    async def booking(minutes_ahead: int, status: str = "confirmed") -> int:
        made = await rows.booking(
            session,
            user_id=user.id,
            resource_id=room,
            starts_at=now + timedelta(minutes=minutes_ahead),
            minutes=15,
            status=status,
            expires_at=now + timedelta(minutes=5),
        )
        return made.id

    soon = await booking(30)
    later = await booking(90)
    await booking(20, "cancelled")
    await booking(45, "pending")
    await booking(-10)  # already started: too late for a reminder
    await session.commit()

    assert await remind_upcoming_job(ctx) == {"reminders_queued": 1}
    await infra_of(ctx).notifier.drain()
    [mail] = await inbox.wait_for(1)
    assert mail["To"] == "guest@example.com"
    assert mail["Subject"] == "Reminder: Blue room in 30 minutes"
    assert f"#{soon}" in body_of(mail)
    sent_at = "SELECT reminder_sent_at FROM booking WHERE id = :i"
    assert await scalar(session, sent_at, i=soon) == now

    assert await remind_upcoming_job(ctx) == {"reminders_queued": 0}
    clock.advance(minutes=35)  # the 90-minute booking is now 55 minutes away
    assert await remind_upcoming_job(ctx) == {"reminders_queued": 1}
    assert await remind_upcoming_job(ctx) == {"reminders_queued": 0}
    assert await scalar(session, OUTBOX) == 2
    assert await scalar(session, sent_at, i=later) == clock()
    await infra_of(ctx).notifier.drain()
    assert len(await inbox.wait_for(2)) == 2


async def test_a_moved_booking_is_reminded_of_its_new_time(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock, inbox: Inbox
) -> None:
    user = await rows.user(session, email="mover@example.com")
    room = (await make_resource(session, clock, horizon_days=1, name="Red room")).id
    now = clock()  # 09:00
    booking = await occupy(
        session,
        user_id=user.id,
        resource_id=room,
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    booking_id, actor = booking.id, SimpleNamespace(id=user.id, role=user.role)
    assert await remind_upcoming_job(ctx) == {"reminders_queued": 1}

    later = now + timedelta(hours=4)
    request = ChangeRequest(starts_at=later, ends_at=later + timedelta(hours=1))
    await change(booking_wiring(ctx, session).change_deps(), actor, booking_id, request)
    assert await scalar(session, "SELECT reminder_sent_at FROM booking") is None
    assert await remind_upcoming_job(ctx) == {"reminders_queued": 0}  # 4 hours away

    clock.advance(hours=3, minutes=30)
    assert await remind_upcoming_job(ctx) == {"reminders_queued": 1}
    assert await scalar(session, OUTBOX) == 2
    await infra_of(ctx).notifier.drain()
    subjects = [m["Subject"] for m in await inbox.wait_for(3)]
    assert "Reminder: Red room in 30 minutes" in subjects
    assert any(s.startswith(f"Booking #{booking_id} changed") for s in subjects)
