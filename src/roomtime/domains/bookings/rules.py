"""Pure booking rules: which ranges can be held. No I/O, unit-tested on their own."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from roomtime.domains.bookings import errors


class SlotLike(Protocol):
    starts_at: datetime
    ends_at: datetime


def check_request(
    *, starts_at: datetime, ends_at: datetime, now: datetime, party_size: int, capacity: int
) -> None:
    """The checks that need no slot: a request refused by these never takes the hold lock
    (so it cannot turn away a valid request for the same range meanwhile)."""
    if ends_at <= starts_at:
        raise errors.InvalidRangeError()
    if starts_at < now:
        raise errors.StartsInPastError()
    if party_size > capacity:
        raise errors.PartyTooLargeError(f"party_size {party_size} > capacity {capacity}")


def check_hold_range(
    overlapping: Sequence[SlotLike],
    *,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    max_slots: int,
    party_size: int,
    capacity: int,
) -> None:
    """Raise the matching 422 error unless [starts_at, ends_at) is exactly a run of
    contiguous slots, in the future, within the resource's limits.

    `overlapping` are the resource's slots that overlap the range, ordered by start.
    """
    check_request(
        starts_at=starts_at, ends_at=ends_at, now=now, party_size=party_size, capacity=capacity
    )
    if not overlapping:
        raise errors.OutsideOpeningHoursError("No slots in that range")
    first, last = overlapping[0], overlapping[-1]
    if first.starts_at != starts_at or last.ends_at != ends_at:
        inside_a_slot = first.starts_at < starts_at or last.ends_at > ends_at
        if inside_a_slot:
            raise errors.NotAlignedError(
                f"Slots here start at {first.starts_at.isoformat()} and end at "
                f"{last.ends_at.isoformat()}"
            )
        raise errors.OutsideOpeningHoursError("Part of the range has no slots")
    if any(a.ends_at != b.starts_at for a, b in itertools.pairwise(overlapping)):
        raise errors.OutsideOpeningHoursError("The range crosses a closed period")
    if len(overlapping) > max_slots:
        raise errors.TooManySlotsError(f"{len(overlapping)} slots > max_hold_slots {max_slots}")
