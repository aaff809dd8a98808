"""Specialists and their services (R-34): what other modules and the routers call.

A specialist is a user (role `specialist`) whose calendar is an exclusive resource; the
booking engine books it like any other resource. Each command is one transaction with its
audit rows; calendar changes go through the resources service. The use cases live in
private modules, re-exported here.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.bookings import service as bookings_service
from roomtime.domains.bookings.schemas import BookingFilters
from roomtime.domains.specialists._calendar import add_slots as add_slots
from roomtime.domains.specialists._calendar import block as block
from roomtime.domains.specialists._calendar import booking_range as booking_range
from roomtime.domains.specialists._calendar import day_slots as day_slots
from roomtime.domains.specialists._calendar import set_hours as set_hours
from roomtime.domains.specialists._catalogue import add_service as add_service
from roomtime.domains.specialists._catalogue import get_service as get_service
from roomtime.domains.specialists._catalogue import list_services as list_services
from roomtime.domains.specialists._catalogue import update_service as update_service
from roomtime.domains.specialists._people import acting_specialist as acting_specialist
from roomtime.domains.specialists._people import create_specialist as create_specialist
from roomtime.domains.specialists._people import find_for_user as find_for_user
from roomtime.domains.specialists._people import get_specialist as get_specialist
from roomtime.domains.specialists._people import list_specialists as list_specialists
from roomtime.domains.specialists._people import to_read as to_read
from roomtime.domains.specialists.models import Specialist


async def list_calendar_bookings(
    session: AsyncSession,
    specialist: Specialist,
    filters: BookingFilters,
    *,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[list[object], int]:
    """The bookings on the specialist's calendar, filtered as a user's own list is."""
    mine = filters.model_copy(update={"resource_id": specialist.resource_id})
    items, total = await bookings_service.list_bookings(
        session, mine, sort=sort, limit=limit, offset=offset
    )
    return list(items), total
