"""The booking state machine: every status change a booking may make, who may make it, and
what it does to the booking's slots. Nothing else in the code decides a transition.

                                          change
                                          ┌────┐
                                          ▼    │
    (new) ──hold──▶ pending ──confirm──▶ confirmed ──archive──▶ archived
                       │  ╲                   │
                  expire  cancel            cancel
                       ▼     ╲                ▼
                    expired    ╲────────▶ cancelled
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from roomtime.domains.bookings.constants import (
    ARCHIVED,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    PENDING,
)
from roomtime.domains.bookings.errors import InvalidTransitionError

Who = Literal["user", "admin", "system"]
# take: the hold takes its slots (or seats); book: held slots become booked; free: the
# slots (seats) from now on are given back; move: the old ones are given back and the new
# range's taken and booked, in one transaction; none: the slots are left as they are.
SlotEffect = Literal["take", "book", "free", "move", "none"]

USER: Who = "user"
ADMIN: Who = "admin"
SYSTEM: Who = "system"
NEW = None  # the state before a hold exists


@dataclass(frozen=True, slots=True)
class Transition:
    who: frozenset[Who]
    slots: SlotEffect


TRANSITIONS: dict[tuple[str | None, str], Transition] = {
    (NEW, PENDING): Transition(frozenset({USER}), "take"),
    (PENDING, CONFIRMED): Transition(frozenset({USER, ADMIN}), "book"),
    # Expiry is the clock's doing: the sweeper, or a hold or confirm that finds it overdue.
    (PENDING, EXPIRED): Transition(frozenset({SYSTEM}), "free"),
    (PENDING, CANCELLED): Transition(frozenset({USER, ADMIN}), "free"),
    (CONFIRMED, CANCELLED): Transition(frozenset({USER, ADMIN}), "free"),
    # A change keeps the booking confirmed on another range of the same resource.
    (CONFIRMED, CONFIRMED): Transition(frozenset({USER, ADMIN}), "move"),
    (CONFIRMED, ARCHIVED): Transition(frozenset({ADMIN, SYSTEM}), "none"),
}


def transition(current: str | None, target: str, who: Who) -> Transition:
    """The allowed transition from `current` to `target` by `who`, or InvalidTransitionError."""
    found = TRANSITIONS.get((current, target))
    if found is None or who not in found.who:
        raise InvalidTransitionError(f"A booking cannot go from {current} to {target}")
    return found


class HasStatus(Protocol):
    status: str


def move(booking: HasStatus, target: str, who: Who) -> Transition:
    """Check the transition and set the booking's new status; returns what it means for slots."""
    found = transition(booking.status, target, who)
    booking.status = target
    return found
