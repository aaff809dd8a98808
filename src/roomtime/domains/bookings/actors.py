"""What the booking use cases need to know about who acts and about the resource booked:
structural types, so bookings depends on the users and resources services, not their rows."""

from __future__ import annotations

from typing import Protocol


class Actor(Protocol):
    """The signed-in user (or admin) a use case acts for."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...


class BookableResource(Protocol):
    """The resource fields the booking rules read."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def timezone(self) -> str: ...

    @property
    def booking_mode(self) -> str: ...

    @property
    def capacity(self) -> int: ...

    @property
    def hold_ttl_seconds(self) -> int: ...

    @property
    def max_hold_slots(self) -> int: ...

    @property
    def cancel_deadline_minutes(self) -> int | None: ...
