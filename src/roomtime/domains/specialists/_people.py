"""Who is a specialist: creation by an admin (R-34), reads, and whose calendar a caller acts on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.redis.cache import Cache
from roomtime.domains.audit import service as audit
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.schemas import ResourceCreate
from roomtime.domains.specialists import repository
from roomtime.domains.specialists.constants import DEFAULT_LOCATION
from roomtime.domains.specialists.errors import (
    AlreadySpecialistError,
    SpecialistIdRequiredError,
    SpecialistNotFoundError,
    UserInactiveError,
)
from roomtime.domains.specialists.models import Specialist
from roomtime.domains.specialists.schemas import SpecialistCreate, SpecialistRead
from roomtime.domains.users import service as users_service
from roomtime.domains.users.constants import ROLE_ADMIN, ROLE_SPECIALIST, ROLE_USER
from roomtime.domains.users.errors import UserNotFoundError


async def create_specialist(
    session: AsyncSession,
    data: SpecialistCreate,
    *,
    actor_user_id: int,
    now: datetime,
    default_hold_ttl: int,
    horizon_days: int,
    cache: Cache | None = None,
) -> Specialist:
    """Make a user a specialist: their calendar (an exclusive resource with its slots), the
    specialist row and the role, in one transaction, or nothing at all."""
    async with tx.transactional(session):
        # The account row lock serialises two admins making the same user a specialist.
        user = await users_service.lock_user(session, data.user_id)
        if user is None:
            raise UserNotFoundError(f"User {data.user_id} does not exist")
        if not user.is_active:
            raise UserInactiveError(f"User {data.user_id} is deactivated")
        if await repository.get_by_user(session, user.id) is not None:
            raise AlreadySpecialistError(f"User {user.id} is already a specialist")
        calendar = await resources_service.add_resource(
            session,
            _calendar(data),
            actor_user_id=actor_user_id,
            now=now,
            default_hold_ttl=default_hold_ttl,
            horizon_days=horizon_days,
            cache=cache,
        )
        specialist = Specialist(
            user_id=user.id, resource_id=calendar.id, display_name=data.display_name, created_at=now
        )
        await repository.add(session, specialist)
        await audit.record(
            session,
            action="specialist.created",
            entity="specialist",
            entity_id=specialist.id,
            actor_user_id=actor_user_id,
            meta={"user_id": user.id, "resource_id": calendar.id},
        )
        # An admin who is also a specialist stays an admin: the role only ever widens here.
        if user.role == ROLE_USER:
            await users_service.change_role(
                session, user, ROLE_SPECIALIST, actor_user_id=actor_user_id
            )
    return specialist


def _calendar(data: SpecialistCreate) -> ResourceCreate:
    # A whole day of slots may be held at once: a service is bounded by its duration, not
    # by the hold limit meant for rooms.
    return ResourceCreate(
        name=data.display_name,
        location=data.location or DEFAULT_LOCATION,
        capacity=1,
        booking_mode="exclusive",
        timezone=data.timezone,
        slot_minutes=data.slot_minutes,
        max_hold_slots=1440 // data.slot_minutes,
        opening_hours=data.opening_hours,
    )


async def get_specialist(
    session: AsyncSession, specialist_id: int, *, include_inactive: bool = False
) -> Specialist:
    """The specialist; one whose calendar is deactivated exists only for admins."""
    specialist = await repository.get(session, specialist_id)
    if specialist is None or not (include_inactive or await is_active(session, specialist)):
        raise SpecialistNotFoundError(f"Specialist {specialist_id} does not exist")
    return specialist


async def find_for_user(session: AsyncSession, user_id: int) -> Specialist | None:
    return await repository.get_by_user(session, user_id)


async def is_active(session: AsyncSession, specialist: Specialist) -> bool:
    """Taking bookings: the calendar resource is active (an admin deactivates a specialist
    with DELETE /resources/{resource_id})."""
    resource = await resources_service.get_resource(
        session, specialist.resource_id, include_inactive=True
    )
    return resource.is_active


async def to_read(session: AsyncSession, specialist: Specialist) -> SpecialistRead:
    resource = await resources_service.get_resource(
        session, specialist.resource_id, include_inactive=True
    )
    return SpecialistRead(
        id=specialist.id,
        user_id=specialist.user_id,
        display_name=specialist.display_name,
        timezone=resource.timezone,
        slot_minutes=resource.slot_minutes,
        resource_id=resource.id,
        opening_hours=resources_service.to_read(resource).opening_hours,
        is_active=resource.is_active,
        created_at=specialist.created_at,
    )


async def list_specialists(
    session: AsyncSession, *, q: str | None, include_inactive: bool, limit: int, offset: int
) -> tuple[list[SpecialistRead], int]:
    active = None if include_inactive else await resources_service.list_resource_ids(session)
    rows, total = await repository.list_page(
        session, q=q, resource_ids=active, limit=limit, offset=offset
    )
    return [await to_read(session, s) for s in rows], total


async def acting_specialist(
    session: AsyncSession, user_id: int, role: str, specialist_id: int | None
) -> Specialist:
    """Whose calendar a `/specialists/me/...` request acts on.

    A specialist acts on their own only: naming another one is 404, as if it did not exist.
    An admin acts on the one named by `specialist_id`, or on their own if they have one.
    """
    own = await repository.get_by_user(session, user_id)
    if specialist_id is None:
        if own is not None:
            return own
        if role == ROLE_ADMIN:
            raise SpecialistIdRequiredError("Admins name the specialist with specialist_id")
        raise SpecialistNotFoundError("You are not a specialist")
    if role == ROLE_ADMIN:
        return await get_specialist(session, specialist_id, include_inactive=True)
    if own is None or own.id != specialist_id:
        raise SpecialistNotFoundError(f"Specialist {specialist_id} does not exist")
    return own
