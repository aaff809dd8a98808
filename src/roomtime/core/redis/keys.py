"""Every Redis key is built here, so the key space is documented in one place."""

from __future__ import annotations

from datetime import date, datetime


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def _k(self, *parts: object) -> str:
        return ":".join((self.prefix, *map(str, parts)))

    def availability(self, resource_id: int, day: date) -> str:
        return self._k("avail", resource_id, day.isoformat())

    def availability_generation(self, resource_id: int, day: date | None = None) -> str:
        """The counter of one local day's availability entry; with no day, of all its days."""
        if day is None:
            return self._k("avail", resource_id, "gen")
        return self._k("avail", resource_id, day.isoformat(), "gen")

    def resource_list(self, variant: str) -> str:
        return self._k("resources", "list", variant)

    def resource_list_generation(self) -> str:
        return self._k("resources", "gen")

    def user_bookings_generation(self, user_id: int) -> str:
        """The counter of one user's bookings: nothing is cached under it, but its fence
        tells a read of that user's bookings how far a replica must have replayed."""
        return self._k("bookings", "user", user_id, "gen")

    def fence(self, generation: str) -> str:
        """The WAL position of the last committed change behind a generation counter
        (see core.replica); it lives beside the counter it guards."""
        return f"{generation}:lsn"

    def hold_lock(self, resource_id: int, starts_at: datetime, ends_at: datetime) -> str:
        return self._k("hold", resource_id, f"{starts_at.isoformat()}-{ends_at.isoformat()}")

    def idempotency(self, user_id: int, scope: str, key: str) -> str:
        return self._k("idem", user_id, scope, key)
