"""Repair slot states from the bookings they belong to (the `reconcile` job).

The booking flow changes a booking and its slots in one transaction, so the two only
disagree after a bug or a manual edit; this puts the slots back in line (R-12, R-13).
The caller owns the transaction. Rules:

- Only slots starting at or after `now`. Earlier ones are history: cancelling a booking
  frees only its future slots, so a started slot of a cancelled booking stays booked.
- Blocked slots are the admin's and are never touched.
- The booking's status is the truth; a pending booking past its expiry still owns its slots
  (release-holds expires it and frees them, with its audit row and mail; run it first).
- Every write is a compare-and-set on the state read a moment before, so a booking
  transaction committing in between wins and the repair of that slot is skipped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The most repairs of each kind per run: a big mess is worked off over several runs
# instead of one long transaction holding locks.
REPAIR_LIMIT = 1000

# Slots whose status or link disagrees with the booking they point at. A booking owns a
# slot only if the slot lies inside its range on its resource.
_BROKEN_LINKS = text("""
    WITH linked AS (
        SELECT s.id, s.resource_id, s.status, s.booking_id,
               CASE WHEN b.resource_id = s.resource_id
                     AND s.starts_at >= b.starts_at AND s.starts_at < b.ends_at
                    THEN b.status END AS owner_status
          FROM time_slot s LEFT JOIN booking b ON b.id = s.booking_id
         WHERE s.starts_at >= :now AND s.status IN ('held', 'booked', 'available')
           AND (s.status <> 'available' OR s.booking_id IS NOT NULL)
    ), wanted AS (
        SELECT *, CASE owner_status WHEN 'confirmed' THEN 'booked'
                                    WHEN 'pending' THEN 'held' ELSE 'available' END AS want,
                  CASE WHEN owner_status IN ('confirmed', 'pending') THEN booking_id END
                      AS want_booking
          FROM linked
    )
    SELECT id, resource_id, status, booking_id, want, want_booking FROM wanted
     WHERE status <> want OR booking_id IS DISTINCT FROM want_booking
     ORDER BY id LIMIT :limit""")

# Slots of live bookings of exclusive resources that do not point at their booking.
_MISSING_SLOTS = text("""
    SELECT s.id, s.resource_id, s.status, s.booking_id, s.seats_taken,
           b.id AS owner, b.status AS owner_status
      FROM booking b
      JOIN time_slot s ON s.resource_id = b.resource_id
                      AND s.starts_at >= b.starts_at AND s.starts_at < b.ends_at
     WHERE b.is_exclusive AND b.status IN ('pending', 'confirmed')
       AND b.ends_at > :now AND s.starts_at >= :now
       AND s.booking_id IS DISTINCT FROM b.id
     ORDER BY s.id LIMIT :limit""")

# Slots whose taken seats differ from the party sizes of the shared bookings covering them.
_WRONG_SEATS = text("""
    WITH expected AS (
        SELECT s.id, sum(b.party_size) AS seats
          FROM booking b
          JOIN time_slot s ON s.resource_id = b.resource_id
                          AND s.starts_at >= b.starts_at AND s.starts_at < b.ends_at
         WHERE NOT b.is_exclusive AND b.status IN ('pending', 'confirmed')
           AND b.ends_at > :now AND s.starts_at >= :now
         GROUP BY s.id
    )
    SELECT s.id, s.resource_id, s.seats_taken, s.capacity, coalesce(e.seats, 0) AS want
      FROM time_slot s LEFT JOIN expected e ON e.id = s.id
     WHERE s.starts_at >= :now AND (s.seats_taken > 0 OR e.id IS NOT NULL)
       AND s.seats_taken <> coalesce(e.seats, 0)
     ORDER BY s.id LIMIT :limit""")

_SET_LINK = text("""
    UPDATE time_slot SET status = :want, booking_id = :want_booking
     WHERE id = :id AND status = :status AND booking_id IS NOT DISTINCT FROM :booking_id""")

_SET_SEATS = text("""
    UPDATE time_slot SET seats_taken = :want WHERE id = :id AND seats_taken = :seen""")


@dataclass
class ReconcileReport:
    """What was repaired, by kind, and the resources whose cached availability is stale."""

    fixed: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    resource_ids: set[int] = field(default_factory=set)
    slot_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.fixed.values())

    def counts(self) -> dict[str, int]:
        kinds = (
            "held_released",
            "booked_released",
            "links_cleared",
            "status_corrected",
            "slots_attached",
            "seats_recounted",
        )
        return {**{k: self.fixed[k] for k in kinds}, "conflicts": self.conflicts}

    def note(self, kind: str, slot_id: int, resource_id: int) -> None:
        self.fixed[kind] += 1
        self.resource_ids.add(resource_id)
        self.slot_ids.append(slot_id)


def _kind(status: str, want: str) -> str:
    if want != "available":
        return "status_corrected"
    return {"held": "held_released", "booked": "booked_released"}.get(status, "links_cleared")


async def _rows(session: AsyncSession, query: Any, now: datetime) -> list[Any]:
    return list((await session.execute(query, {"now": now, "limit": REPAIR_LIMIT})).all())


async def _compare_and_set(session: AsyncSession, stmt: Any, params: dict[str, Any]) -> bool:
    return bool((await session.execute(stmt, params)).rowcount)  # type: ignore[attr-defined]


async def _fix_links(session: AsyncSession, now: datetime, report: ReconcileReport) -> None:
    for row in await _rows(session, _BROKEN_LINKS, now):
        params = {k: getattr(row, k) for k in ("id", "status", "booking_id", "want")}
        params["want_booking"] = row.want_booking
        if await _compare_and_set(session, _SET_LINK, params):
            report.note(_kind(row.status, row.want), row.id, row.resource_id)


async def _attach_missing(session: AsyncSession, now: datetime, report: ReconcileReport) -> None:
    for row in await _rows(session, _MISSING_SLOTS, now):
        free = row.status == "available" and row.booking_id is None and row.seats_taken == 0
        params = {
            "id": row.id,
            "status": "available",
            "booking_id": None,
            "want": "booked" if row.owner_status == "confirmed" else "held",
            "want_booking": row.owner,
        }
        if free and await _compare_and_set(session, _SET_LINK, params):
            report.note("slots_attached", row.id, row.resource_id)
        else:
            # Blocked by an admin or taken by another live booking: not ours to decide.
            report.conflicts += 1


async def _recount_seats(session: AsyncSession, now: datetime, report: ReconcileReport) -> None:
    for row in await _rows(session, _WRONG_SEATS, now):
        want = min(int(row.want), row.capacity)  # the CHECK refuses more than capacity
        if want != row.want:
            report.conflicts += 1
        params = {"id": row.id, "seen": row.seats_taken, "want": want}
        if want != row.seats_taken and await _compare_and_set(session, _SET_SEATS, params):
            report.note("seats_recounted", row.id, row.resource_id)


async def reconcile(session: AsyncSession, now: datetime) -> ReconcileReport:
    """Repair the future slots inside the caller's transaction; say what changed."""
    report = ReconcileReport()
    await _fix_links(session, now, report)
    await _attach_missing(session, now, report)
    await _recount_seats(session, now, report)
    return report
