"""Repair slot states from the live bookings they belong to (the `reconcile` job).

The booking flow changes a booking and its slots in one transaction, so the two only
disagree after a bug or a manual edit; this puts the slots back in line (R-12, R-13). The
bookings domain says which bookings are live (pending or confirmed, not ended) and passes
their claims; this module reads the slot rows, plans the repairs in pure code, and writes
each one as a compare-and-set. The caller owns the transaction. Rules:

- Only slots starting at or after `now`. Earlier ones are history: cancelling a booking
  frees only its future slots, so a started slot of a cancelled booking stays booked.
- Blocked slots are the admin's and are never touched.
- The booking's status is the truth; a pending booking past its expiry still owns its slots
  (release-holds expires it and frees them, with its audit row and mail; run it first).
- Every write is a compare-and-set on the state read a moment before, so a booking
  transaction committing in between wins and the repair of that slot is skipped.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.slots import _reconcile_repository as repository
from roomtime.domains.slots.constants import (
    SLOT_AVAILABLE,
    SLOT_BLOCKED,
    SLOT_BOOKED,
    SLOT_HELD,
)
from roomtime.domains.slots.schemas import LiveClaim

# The most repairs of each kind per run: a big mess is worked off over several runs
# instead of one long transaction holding locks.
REPAIR_LIMIT = 1000

# (status, booking link, hold expiry): what a slot says about who has it, and until when.
SlotState = tuple[str, int | None, datetime | None]


@dataclass
class SlotRow:
    id: int
    resource_id: int
    starts_at: datetime
    status: str
    booking_id: int | None
    seats_taken: int
    capacity: int
    hold_expires_at: datetime | None = None

    @property
    def state(self) -> SlotState:
        return self.status, self.booking_id, self.hold_expires_at


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
            "seat_holds_synced",
        )
        return {**{k: self.fixed[k] for k in kinds}, "conflicts": self.conflicts}

    def note(self, kind: str, slot: SlotRow) -> None:
        self.fixed[kind] += 1
        self.resource_ids.add(slot.resource_id)
        self.slot_ids.append(slot.id)


def _covers(live: LiveClaim, slot: SlotRow) -> bool:
    claim = live.claim
    return (
        claim.resource_id == slot.resource_id and claim.starts_at <= slot.starts_at < claim.ends_at
    )


class _SlotIndex:
    """The slot rows of each resource by start, to find those inside a claim's range."""

    def __init__(self, slots: Sequence[SlotRow]) -> None:
        self._by_resource: dict[int, list[SlotRow]] = defaultdict(list)
        for slot in sorted(slots, key=lambda s: s.starts_at):
            self._by_resource[slot.resource_id].append(slot)
        self._starts = {r: [s.starts_at for s in rows] for r, rows in self._by_resource.items()}

    def inside(self, live: LiveClaim) -> list[SlotRow]:
        claim = live.claim
        rows = self._by_resource.get(claim.resource_id, [])
        starts = self._starts.get(claim.resource_id, [])
        return rows[bisect_left(starts, claim.starts_at) : bisect_left(starts, claim.ends_at)]


def _wanted(live: LiveClaim | None) -> SlotState:
    if live is None:
        return SLOT_AVAILABLE, None, None
    if live.booked:
        return SLOT_BOOKED, live.claim.booking_id, None
    return SLOT_HELD, live.claim.booking_id, live.claim.hold_expires_at


def _kind(status: str, want: str) -> str:
    if want != SLOT_AVAILABLE:
        return "status_corrected"
    return {SLOT_HELD: "held_released", SLOT_BOOKED: "booked_released"}.get(status, "links_cleared")


def broken_links(
    slots: Sequence[SlotRow], live: dict[int, LiveClaim]
) -> Iterator[tuple[SlotRow, SlotState]]:
    """Slots whose status or link disagrees with the booking they point at, and the state
    they should have. A booking owns a slot only if the slot lies inside its range."""
    for slot in slots:
        if slot.status == SLOT_BLOCKED:
            continue
        if slot.status == SLOT_AVAILABLE and slot.booking_id is None:
            continue
        owner = live.get(slot.booking_id) if slot.booking_id is not None else None
        want = _wanted(owner if owner is not None and _covers(owner, slot) else None)
        if slot.state != want:
            yield slot, want


def missing_links(
    slots: Sequence[SlotRow], live: Sequence[LiveClaim]
) -> Iterator[tuple[SlotRow, LiveClaim]]:
    """Slots of live bookings of exclusive resources that do not point at their booking."""
    index = _SlotIndex(slots)
    for owner in live:
        if not owner.claim.exclusive:
            continue
        for slot in index.inside(owner):
            if slot.booking_id != owner.claim.booking_id:
                yield slot, owner


def wrong_seats(
    slots: Sequence[SlotRow], live: Sequence[LiveClaim]
) -> Iterator[tuple[SlotRow, int]]:
    """Slots whose taken seats differ from the party sizes of the shared bookings covering
    them, with that sum."""
    index = _SlotIndex(slots)
    sold: Counter[int] = Counter()
    for owner in live:
        if not owner.claim.exclusive:
            for slot in index.inside(owner):
                sold[slot.id] += owner.claim.party_size
    for slot in slots:
        want = sold.get(slot.id, 0)
        if (slot.seats_taken > 0 or slot.id in sold) and slot.seats_taken != want:
            yield slot, want


async def reconcile(
    session: AsyncSession, now: datetime, live: Sequence[LiveClaim]
) -> ReconcileReport:
    """Repair the future slots inside the caller's transaction; say what changed."""
    report = ReconcileReport()
    rows = await repository.future_rows(session, now, [owner.claim for owner in live])
    slots = [SlotRow(*row) for row in rows]
    by_id = {owner.claim.booking_id: owner for owner in live}
    for slot, want in list(broken_links(slots, by_id))[:REPAIR_LIMIT]:
        if await repository.set_link_if(session, slot.id, slot.state, want):
            report.note(_kind(slot.status, want[0]), slot)
            slot.status, slot.booking_id, slot.hold_expires_at = want
    for slot, owner in list(missing_links(slots, live))[:REPAIR_LIMIT]:
        free = slot.status == SLOT_AVAILABLE and slot.booking_id is None and slot.seats_taken == 0
        want = _wanted(owner)
        if free and await repository.set_link_if(session, slot.id, slot.state, want):
            report.note("slots_attached", slot)
            slot.status, slot.booking_id, slot.hold_expires_at = want
        else:
            # Blocked by an admin or taken by another live booking: not ours to decide.
            report.conflicts += 1
    for slot, wanted in list(wrong_seats(slots, live))[:REPAIR_LIMIT]:
        want = min(wanted, slot.capacity)  # the CHECK refuses more than capacity
        if want != wanted:
            report.conflicts += 1
        if want != slot.seats_taken and await repository.set_seats_if(
            session, slot.id, slot.seats_taken, want
        ):
            report.note("seats_recounted", slot)
    seat_holds = [o.claim for o in live if not o.claim.exclusive and not o.booked]
    for resource_id in await repository.sync_seat_holds(session, now, seat_holds):
        report.fixed["seat_holds_synced"] += 1
        report.resource_ids.add(resource_id)
    return report
