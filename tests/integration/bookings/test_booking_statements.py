"""Hold, confirm and cancel of an exclusive resource write the booking, its audit row and
its slots in one statement each (bookings.write_repository.add_holding,
write_confirmed, write_changes_releasing_slots): each slot changed is
counted, one taken meanwhile is not, and all of it goes with a rollback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository, write_repository
from roomtime.domains.notifications import repository as notifications_repository
from roomtime.domains.notifications import templates
from roomtime.domains.notifications.service import RidingMail
from roomtime.domains.slots import service as slots_service
from tests.factories import rows
from tests.factories.resources import every_day, make_resource, slot_statuses

pytestmark = pytest.mark.integration


async def _hold(
    session: AsyncSession, user_id: int, resource_id: int, start: datetime, end: datetime
) -> tuple[int, int]:
    expires = start - timedelta(hours=1)
    values = {
        "user_id": user_id,
        "resource_id": resource_id,
        "starts_at": start,
        "ends_at": end,
        "status": "pending",
        "party_size": 1,
        "is_exclusive": True,
        "expires_at": expires,
        "lock_token": None,
        "event_id": None,
    }
    booking, taken = await write_repository.add_holding(
        session,
        values,
        audited=audit.entry(action="booking.held", entity="booking", actor_user_id=user_id),
        slots=slots_service.holding_params(resource_id, start, end, expires),
    )
    assert booking.status == "pending" and booking.resource_id == resource_id
    return booking.id, taken


async def _room_and_user(session: AsyncSession, clock: FrozenClock) -> tuple[int, int, datetime]:
    """A room with hourly slots, a user, and 10:00 tomorrow."""
    room = await make_resource(
        session, clock, horizon_days=3, opening_hours=every_day("08:00", "18:00")
    )
    user = await rows.user(session)
    await session.commit()
    day = clock().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return room.id, user.id, day + timedelta(days=1, hours=10)


async def test_the_free_slots_are_held_and_counted_the_taken_one_is_not(
    session: AsyncSession, clock: FrozenClock
) -> None:
    room_id, user_id, start = await _room_and_user(session, clock)
    # The middle hour stopped being free (blocked by an admin) after the hold looked.
    await session.execute(
        text("UPDATE time_slot SET status = 'blocked' WHERE resource_id = :r AND starts_at = :s"),
        {"r": room_id, "s": start + timedelta(hours=1)},
    )
    await session.commit()

    booking_id, taken = await _hold(session, user_id, room_id, start, start + timedelta(hours=3))
    assert taken == 2  # of 3: the caller refuses the hold
    held = await session.execute(
        text("SELECT starts_at FROM time_slot WHERE booking_id = :b ORDER BY starts_at"),
        {"b": booking_id},
    )
    assert list(held.scalars()) == [start, start + timedelta(hours=2)]
    entity = await session.scalar(
        text("SELECT entity_id FROM audit_log WHERE action = 'booking.held'")
    )
    assert entity == str(booking_id)

    await session.rollback()
    statuses = await slot_statuses(session, room_id, start, start + timedelta(hours=3))
    assert list(statuses.values()) == ["available", "blocked", "available"]
    left = (
        "SELECT (SELECT count(*) FROM booking WHERE id = :b), "
        "(SELECT count(*) FROM audit_log WHERE action = 'booking.held')"
    )
    assert tuple((await session.execute(text(left), {"b": booking_id})).one()) == (0, 0)


async def test_confirm_books_the_held_slots_and_cancel_frees_the_future_ones(
    session: AsyncSession, clock: FrozenClock
) -> None:
    room_id, user_id, start = await _room_and_user(session, clock)
    end = start + timedelta(hours=3)
    booking_id, taken = await _hold(session, user_id, room_id, start, end)
    assert taken == 3
    await session.commit()

    booking = await repository.get_for_update(session, booking_id, owner_id=user_id)
    assert booking is not None
    booking.status, booking.expires_at = "confirmed", None
    confirmed = audit.entry(
        action="booking.confirmed", entity="booking", entity_id=booking_id, actor_user_id=user_id
    )
    written = await write_repository.write_confirmed(
        session, booking, audited=confirmed, recorded=None, book_slots=True
    )
    assert written.slots == (3, 3)
    assert written.mail is None
    statuses = await slot_statuses(session, room_id, start, end)
    assert list(statuses.values()) == ["booked"] * 3
    await session.commit()

    # Cancelled while its first hour runs: that hour stays booked, the rest is freed.
    booking = await repository.get_for_update(session, booking_id, owner_id=user_id)
    assert booking is not None
    booking.status = "cancelled"
    cancelled = audit.entry(
        action="booking.cancelled", entity="booking", entity_id=booking_id, actor_user_id=user_id
    )
    await write_repository.write_changes_releasing_slots(
        session, booking, audited=cancelled, not_before=start + timedelta(minutes=30)
    )
    await session.commit()
    statuses = await slot_statuses(session, room_id, start, end)
    assert list(statuses.values()) == ["booked", "available", "available"]
    actions = await session.execute(
        text(
            "SELECT action FROM audit_log WHERE entity = 'booking' AND entity_id = :b ORDER BY id"
        ),
        {"b": str(booking_id)},
    )
    assert list(actions.scalars()) == ["booking.held", "booking.confirmed", "booking.cancelled"]


async def test_a_confirm_refused_after_its_write_takes_its_mail_back_too(
    session: AsyncSession, clock: FrozenClock
) -> None:
    room_id, user_id, start = await _room_and_user(session, clock)
    end = start + timedelta(hours=2)
    booking_id, taken = await _hold(session, user_id, room_id, start, end)
    assert taken == 2
    # One of its slots stopped being the hold's (an admin blocked it) before the confirm.
    await session.execute(
        text("UPDATE time_slot SET status = 'blocked', booking_id = NULL WHERE starts_at = :s"),
        {"s": start},
    )
    await session.commit()

    booking = await repository.get_for_update(session, booking_id, owner_id=user_id)
    assert booking is not None
    booking.status, booking.expires_at = "confirmed", None
    message = templates.booking_confirmed(
        templates.BookingFacts(booking_id, "Room", "Mon 07 Jan 2030 10:00 (UTC)", "12:00")
    )
    values = {
        "kind": message.kind,
        "recipient": "owner@example.com",
        "subject": message.subject,
        "body": message.body,
        "sensitive": False,
        "user_id": user_id,
        "dedupe_key": f"booking_confirmed:{booking_id}",
        "created_at": clock(),
        "cta_url": message.cta_url,
        "cta_label": message.cta_label,
    }
    params = notifications_repository.riding_params(
        values, since=clock() - timedelta(hours=1), cap=20
    )
    mail = RidingMail(message, user_id, values["dedupe_key"], True, params)
    written = await write_repository.write_confirmed(
        session,
        booking,
        audited=audit.entry(
            action="booking.confirmed",
            entity="booking",
            entity_id=booking_id,
            actor_user_id=user_id,
        ),
        recorded=None,
        book_slots=True,
        mail=mail,
    )
    assert written.slots == (1, 2)  # the caller refuses it and rolls back
    assert written.mail is not None and written.mail[0] == 0 and written.mail[1] is not None
    queued = (
        "SELECT (SELECT count(*) FROM notification_outbox), (SELECT count(*) FROM notification)"
    )
    assert tuple((await session.execute(text(queued))).one()) == (1, 1)

    await session.rollback()
    assert tuple((await session.execute(text(queued))).one()) == (0, 0)
    status = await session.scalar(
        text("SELECT status FROM booking WHERE id = :b"), {"b": booking_id}
    )
    assert status == "pending"
