"""The seed's demonstration specialist (development only): an account that can sign in, its
calendar and two services, so a fresh `roomtime dev` shows one-step booking end to end."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.domains.audit import service as audit
from roomtime.domains.auth.passwords import hash_password
from roomtime.domains.resources.schemas import OpeningHoursItem
from roomtime.domains.specialists import service as specialists_service
from roomtime.domains.specialists.schemas import ServiceCreate, SpecialistCreate
from roomtime.domains.users import service as users_service
from roomtime.production import DEV_SPECIALIST_EMAIL, DEV_SPECIALIST_PASSWORD
from roomtime.settings import Settings

SPECIALIST_NAME = "Sam Rivera — barber"
SPECIALIST_SERVICES = (
    ServiceCreate(name="Haircut", duration_minutes=30, price_cents=2500),
    ServiceCreate(name="Haircut and beard", duration_minutes=90, price_cents=4500),
)


async def seed_specialist(
    session: AsyncSession, settings: Settings, clock: Clock, *, admin_id: int
) -> bool:
    """Create what is missing of the demonstration specialist; True if anything was."""
    user = await users_service.find_by_email(session, DEV_SPECIALIST_EMAIL)
    created = user is None
    if user is None:
        async with tx.transactional(session):
            user = await users_service.create_user(
                session,
                email=DEV_SPECIALIST_EMAIL,
                password_hash=hash_password(DEV_SPECIALIST_PASSWORD),
                full_name="Sam Rivera",
            )
            user.email_verified_at = clock()
            await audit.record(
                session,
                action="user.created",
                entity="user",
                entity_id=user.id,
                actor_user_id=admin_id,
                meta={"via": "seed", "email_verified": True},
            )
    specialist = await specialists_service.find_for_user(session, user.id)
    if specialist is not None:
        return created
    specialist = await specialists_service.create_specialist(
        session,
        SpecialistCreate(
            user_id=user.id,
            display_name=SPECIALIST_NAME,
            timezone="Europe/Berlin",
            slot_minutes=30,
            location="Berlin, Barbershop Kiez",
            opening_hours=[
                OpeningHoursItem(weekday=d, opens="09:00", closes="18:00") for d in range(6)
            ],
        ),
        actor_user_id=admin_id,
        now=clock(),
        default_hold_ttl=settings.booking.hold_ttl_seconds,
        horizon_days=settings.booking.slot_horizon_days,
    )
    for data in SPECIALIST_SERVICES:
        await specialists_service.add_service(
            session, specialist, data, actor_user_id=admin_id, now=clock()
        )
    return True
