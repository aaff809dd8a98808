"""The reconcile repair plan, in pure code: which slots disagree with the live bookings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from roomtime.domains.slots.reconcile import SlotRow, broken_links, missing_links, wrong_seats
from roomtime.domains.slots.schemas import LiveClaim, SlotClaim

pytestmark = pytest.mark.unit

T0 = datetime(2030, 1, 7, 10, tzinfo=UTC)
H = timedelta(hours=1)


def _slot(n: int, status: str = "available", booking: int | None = None, seats: int = 0) -> SlotRow:
    return SlotRow(n, 1, T0 + n * H, status, booking, seats, 4)


def _live(booking: int, first: int, last: int, *, booked: bool, party: int = 1) -> LiveClaim:
    exclusive = party == 1
    claim = SlotClaim(booking, 1, T0 + first * H, T0 + last * H, party, exclusive)
    return LiveClaim(claim, booked=booked)


def test_links_follow_the_live_booking_inside_whose_range_the_slot_lies() -> None:
    live = {7: _live(7, 0, 2, booked=True), 8: _live(8, 3, 4, booked=False)}
    slots = [
        _slot(0, "held", 7),  # confirmed booking: should be booked
        _slot(1, "booked", 7),  # right already
        _slot(2, "booked", 7),  # outside booking 7's range: freed
        _slot(3, "held", 8),  # right already (pending)
        _slot(4, "held", 99),  # no live booking 99: freed
        _slot(5, "available", 99),  # dangling link: cleared
        _slot(6, "blocked", 99),  # the admin's: never touched
        _slot(9),  # free and unlinked: nothing to do
    ]
    plan = {slot.id: want for slot, want in broken_links(slots, live)}
    assert plan == {
        0: ("booked", 7, None),
        2: ("available", None, None),
        4: ("available", None, None),
        5: ("available", None, None),
    }


def test_a_held_slot_carries_the_expiry_of_its_pending_booking() -> None:
    expires = T0 - H
    claim = SlotClaim(8, 1, T0, T0 + 2 * H, 1, True, hold_expires_at=expires)
    live = {8: LiveClaim(claim, booked=False)}
    slots = [
        SlotRow(0, 1, T0, "held", 8, 0, 1, hold_expires_at=None),  # expiry lost: restored
        SlotRow(1, 1, T0 + H, "held", 8, 0, 1, hold_expires_at=expires),  # right already
    ]
    assert {slot.id: want for slot, want in broken_links(slots, live)} == {0: ("held", 8, expires)}


def test_missing_links_are_the_exclusive_live_slots_pointing_elsewhere() -> None:
    live = [_live(7, 0, 3, booked=True), _live(8, 5, 6, booked=False, party=2)]
    slots = [_slot(0, "booked", 7), _slot(1), _slot(2, "blocked"), _slot(5)]
    assert [(slot.id, owner.claim.booking_id) for slot, owner in missing_links(slots, live)] == [
        (1, 7),
        (2, 7),
    ]  # the shared booking 8 claims seats, not links


def test_wrong_seats_sum_the_party_sizes_of_the_covering_shared_bookings() -> None:
    live = [_live(7, 0, 2, booked=True, party=2), _live(8, 1, 2, booked=False, party=3)]
    slots = [_slot(0, seats=2), _slot(1, seats=1), _slot(2, seats=4), _slot(3)]
    assert [(slot.id, want) for slot, want in wrong_seats(slots, live)] == [(1, 5), (2, 0)]
