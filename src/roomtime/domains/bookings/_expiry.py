"""Expiring holds (R-14): used inline by hold/confirm and by the release-holds job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from roomtime.domains.audit import service as audit
from roomtime.domains.bookings._base import BookingBase, facts
from roomtime.domains.bookings.models import Booking
from roomtime.domains.notifications import templates
from roomtime.domains.resources import service as resources_service


class ExpiryFlows(BookingBase):
    async def release_expired(
        self, expired: Sequence[Booking], now: datetime, *, reason: str
    ) -> None:
        """Give back the slots of bookings just marked expired; audit and notify each.

        Inside the caller's transaction; caches are invalidated after it commits.
        """
        for booking in expired:
            resource = await resources_service.get_resource(
                self.session, booking.resource_id, include_inactive=True
            )
            await self.give_back_slots(booking, not_before=booking.starts_at)
            await audit.record(
                self.session,
                action="booking.expired",
                entity="booking",
                entity_id=booking.id,
                actor_user_id=None,
                meta={
                    "reason": reason,
                    "expires_at": booking.expires_at.isoformat() if booking.expires_at else None,
                },
            )
            await self.notify_owner(
                booking,
                templates.hold_expired(facts(booking, resource)),
                dedupe_key=f"hold_expired:{booking.id}",
            )
            self.after_commit_invalidate(booking, resource)
            self.after_commit_release_lock(booking)
