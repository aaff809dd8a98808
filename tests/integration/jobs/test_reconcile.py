"""Crash recovery: slot states a crash (or a bug) could leave behind, written directly into
the database, are repaired by `reconcile` until every invariant of R-11..R-14 holds again."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.domains.bookings.tasks import reconcile_job
from tests.factories import rows
from tests.factories.resources import make_resource, slot_statuses
from tests.integration.bookings.test_invariants_property import INVARIANTS
from tests.integration.jobs.conftest import scalar

# R-13 for shared resources: the seats taken in a future slot are the party sizes of the
# active bookings covering it.
SEATS_INVARIANT = """
    SELECT count(*) FROM time_slot s
     WHERE s.starts_at >= :now AND s.seats_taken <> coalesce((
           SELECT sum(b.party_size) FROM booking b
            WHERE NOT b.is_exclusive AND b.resource_id = s.resource_id
              AND b.status IN ('pending', 'confirmed')
              AND s.starts_at >= b.starts_at AND s.starts_at < b.ends_at), 0)"""


async def _violations(session: AsyncSession) -> dict[str, int]:
    found = {name: await scalar(session, sql) for name, sql in INVARIANTS.items()}
    return {name: count for name, count in found.items() if count}


async def _slot(
    session: AsyncSession,
    resource_id: int,
    start: datetime,
    status: str,
    booking: int | None,
    expires: datetime | None = None,
) -> None:
    await session.execute(
        text(
            "UPDATE time_slot SET status = :s, booking_id = :b, hold_expires_at = :e "
            "WHERE resource_id = :r AND starts_at = :t"
        ),
        {"s": status, "b": booking, "e": expires, "r": resource_id, "t": start},
    )


async def _seats(session: AsyncSession, resource_id: int, start: datetime, seats: int) -> None:
    await session.execute(
        text("UPDATE time_slot SET seats_taken = :n WHERE resource_id = :r AND starts_at = :t"),
        {"n": seats, "r": resource_id, "t": start},
    )


async def _crashed_exclusive(
    session: AsyncSession, room: int, user: int, at: Any
) -> dict[str, int]:
    async def booking(hour: int, hours: int, status: str, **extra: Any) -> int:
        made = await rows.booking(
            session,
            user_id=user,
            resource_id=room,
            starts_at=at(hour),
            minutes=60 * hours,
            status=status,
            **extra,
        )
        return made.id

    ids = {
        "expired": await booking(11, 1, "expired"),
        "cancelled": await booking(12, 1, "cancelled"),
        "confirmed": await booking(13, 2, "confirmed"),
        "confirmed_held": await booking(15, 1, "confirmed"),
        "cancelled_dangling": await booking(16, 1, "cancelled"),
        "overdue": await booking(17, 1, "pending", expires_at=at(8, 55)),
        "live": await booking(18, 1, "pending", expires_at=at(9, 5)),
    }
    await _slot(session, room, at(10), "held", None)  # a hold whose booking never committed
    await _slot(session, room, at(11), "held", ids["expired"])  # expired, slot never freed
    await _slot(session, room, at(12), "booked", ids["cancelled"])  # cancelled, still booked
    # 13:00-15:00 stay available although confirmed: the confirm's slot update was lost
    await _slot(session, room, at(15), "held", ids["confirmed_held"])
    await _slot(session, room, at(16), "available", ids["cancelled_dangling"])
    await _slot(session, room, at(17), "held", ids["overdue"])
    await _slot(session, room, at(18), "held", ids["live"], expires=at(9, 5))
    await _slot(session, room, at(19), "blocked", None)
    return ids


async def _crashed_shared(session: AsyncSession, hall: int, user: int, at: Any) -> None:
    for hour, party in ((10, 1), (12, 2)):
        await rows.booking(
            session,
            user_id=user,
            resource_id=hall,
            starts_at=at(hour),
            party_size=party,
            is_exclusive=False,
        )
    await _seats(session, hall, at(10), 3)  # one seat sold, three counted
    await _seats(session, hall, at(11), 2)  # nobody booked, two counted
    # 12:00: two seats sold, none counted


def _hours(clock: FrozenClock) -> Any:
    def at(hour: int, minute: int = 0) -> datetime:
        return clock().replace(hour=hour, minute=minute)

    return at


async def test_reconcile_repairs_a_crashed_state(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock
) -> None:
    at = _hours(clock)
    user = (await rows.user(session, email="owner@example.com")).id
    await session.commit()
    room = (await make_resource(session, clock, horizon_days=1)).id
    ids = await _crashed_exclusive(session, room, user, at)
    await session.commit()
    assert len(await _violations(session)) >= 3  # the crash left a real mess

    report = await reconcile_job(ctx)

    assert report == {
        "holds_expired": 1,
        "held_released": 2,
        "booked_released": 1,
        "links_cleared": 1,
        "status_corrected": 1,
        "slots_attached": 2,
        "seats_recounted": 0,
        "seat_holds_synced": 0,
        "conflicts": 0,
    }
    assert await _violations(session) == {}
    statuses = await slot_statuses(session, room, at(10), at(20))
    assert [statuses[at(h)] for h in range(10, 20)] == [
        "available", "available", "available", "booked", "booked",
        "booked", "available", "available", "held", "blocked",
    ]  # fmt: skip
    overdue = "SELECT status FROM booking WHERE id = :i"
    assert await scalar(session, overdue, i=ids["overdue"]) == "expired"
    audited = "SELECT count(*) FROM audit_log WHERE action = 'slots.reconciled'"
    assert await scalar(session, audited) == 1

    again = await reconcile_job(ctx)
    assert set(again.values()) == {0}
    assert await scalar(session, audited) == 1


async def test_reconcile_recounts_the_seats_of_shared_slots(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock
) -> None:
    at = _hours(clock)
    user = (await rows.user(session)).id
    await session.commit()
    hall = (await make_resource(session, clock, horizon_days=1, booking_mode="shared")).id
    await _crashed_shared(session, hall, user, at)
    await session.commit()
    assert await scalar(session, SEATS_INVARIANT, now=clock()) == 3

    report = await reconcile_job(ctx)

    assert report["seats_recounted"] == 3 and report["conflicts"] == 0
    assert await scalar(session, SEATS_INVARIANT, now=clock()) == 0
    assert (await reconcile_job(ctx))["seats_recounted"] == 0


async def test_reconcile_leaves_started_and_past_slots_alone(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock
) -> None:
    """Cancelling frees only future slots: a started slot of a cancelled booking records
    what was used, and reconcile must not rewrite history."""
    clock.now = clock().replace(hour=8)
    user = (await rows.user(session)).id
    await session.commit()
    room = (await make_resource(session, clock, horizon_days=1)).id
    start = clock()
    cancelled = await rows.booking(
        session, user_id=user, resource_id=room, starts_at=start, minutes=120, status="cancelled"
    )
    await _slot(session, room, start, "booked", cancelled.id)
    await session.commit()
    clock.advance(minutes=30)  # the 08:00 slot has started; 09:00 is still to come

    report = await reconcile_job(ctx)

    assert report["booked_released"] == 0 and report["links_cleared"] == 0
    statuses = await slot_statuses(session, room, start, start + timedelta(hours=2))
    assert statuses == {start: "booked", start + timedelta(hours=1): "available"}


async def test_reconcile_restores_the_hold_expiry_availability_relies_on(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock
) -> None:
    """Availability counts a lapsed hold as free by the expiry the slots domain keeps: a
    held slot that lost it, a pending shared booking without its seat hold, and a seat hold
    left behind by a cancelled booking are all put back in line."""
    at = _hours(clock)
    user = (await rows.user(session)).id
    await session.commit()
    room = (await make_resource(session, clock, horizon_days=1)).id
    hall = (await make_resource(session, clock, horizon_days=1, booking_mode="shared")).id
    held = await rows.booking(
        session, user_id=user, resource_id=room, starts_at=at(11), status="pending",
        expires_at=at(9, 5),
    )  # fmt: skip
    await _slot(session, room, at(11), "held", held.id)  # expiry lost
    pending = await rows.booking(
        session, user_id=user, resource_id=hall, starts_at=at(12), status="pending",
        is_exclusive=False, party_size=2, expires_at=at(9, 6),
    )  # fmt: skip
    gone = await rows.booking(
        session, user_id=user, resource_id=hall, starts_at=at(13), status="cancelled",
        is_exclusive=False,
    )  # fmt: skip
    await _seats(session, hall, at(12), 2)
    await session.execute(
        text(
            "INSERT INTO seat_hold (booking_id, resource_id, starts_at, ends_at, seats, "
            "expires_at) VALUES (:b, :r, :s, :e, 1, :x)"
        ),
        {"b": gone.id, "r": hall, "s": at(13), "e": at(14), "x": at(9, 1)},
    )
    await session.commit()

    report = await reconcile_job(ctx)

    assert report["status_corrected"] == 1 and report["seat_holds_synced"] == 2
    expiry = "SELECT hold_expires_at FROM time_slot WHERE resource_id = :r AND starts_at = :t"
    assert await scalar(session, expiry, r=room, t=at(11)) == at(9, 5)
    holds = await session.execute(text("SELECT booking_id, seats, expires_at FROM seat_hold"))
    assert [tuple(row) for row in holds] == [(pending.id, 2, at(9, 6))]
    assert set((await reconcile_job(ctx)).values()) == {0}
