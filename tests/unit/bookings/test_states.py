"""The booking state table: every allowed transition, and every other one refused."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from roomtime.domains.bookings import states
from roomtime.domains.bookings.constants import (
    ARCHIVED,
    BOOKING_STATUSES,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    PENDING,
)
from roomtime.domains.bookings.errors import InvalidTransitionError

pytestmark = pytest.mark.unit

ACTORS = (states.USER, states.ADMIN, states.SYSTEM)
ALLOWED = {
    (None, PENDING, states.USER): "take",
    (PENDING, CONFIRMED, states.USER): "book",
    (PENDING, CONFIRMED, states.ADMIN): "book",
    (PENDING, EXPIRED, states.SYSTEM): "free",
    (PENDING, CANCELLED, states.USER): "free",
    (PENDING, CANCELLED, states.ADMIN): "free",
    (CONFIRMED, CANCELLED, states.USER): "free",
    (CONFIRMED, CANCELLED, states.ADMIN): "free",
    (CONFIRMED, CONFIRMED, states.USER): "move",
    (CONFIRMED, CONFIRMED, states.ADMIN): "move",
    (CONFIRMED, ARCHIVED, states.ADMIN): "none",
    (CONFIRMED, ARCHIVED, states.SYSTEM): "none",
}
EVERY = list(itertools.product((None, *BOOKING_STATUSES), BOOKING_STATUSES, ACTORS))


@dataclass
class _Row:
    status: str


@pytest.mark.parametrize(("current", "target", "who"), sorted(ALLOWED, key=str))
def test_allowed_transition_sets_the_status_and_names_its_slot_effect(
    current: str | None, target: str, who: states.Who
) -> None:
    assert states.transition(current, target, who).slots == ALLOWED[(current, target, who)]
    if current is not None:
        row = _Row(current)
        assert states.move(row, target, who).slots == ALLOWED[(current, target, who)]
        assert row.status == target


@pytest.mark.parametrize(
    ("current", "target", "who"), [t for t in EVERY if t not in ALLOWED], ids=str
)
def test_every_other_transition_is_refused_and_leaves_the_status(
    current: str | None, target: str, who: states.Who
) -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        states.transition(current, target, who)
    assert caught.value.code == "invalid_status_transition"
    if current is not None:
        row = _Row(current)
        with pytest.raises(InvalidTransitionError):
            states.move(row, target, who)
        assert row.status == current


def test_the_table_holds_exactly_the_documented_transitions() -> None:
    documented = {(c, t) for c, t, _ in ALLOWED}
    assert set(states.TRANSITIONS) == documented
    for (current, target), rule in states.TRANSITIONS.items():
        assert rule.who == {w for c, t, w in ALLOWED if (c, t) == (current, target)}
