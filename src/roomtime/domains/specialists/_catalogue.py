"""A specialist's services: what can be booked, for how long, at what price (R-34)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.resources import service as resources_service
from roomtime.domains.specialists import repository
from roomtime.domains.specialists.errors import ServiceNotFoundError
from roomtime.domains.specialists.models import Specialist, SpecialistService
from roomtime.domains.specialists.schemas import ServiceCreate, ServiceUpdate
from roomtime.domains.specialists.slot_finder import slots_needed


async def _check_on_grid(session: AsyncSession, specialist: Specialist, minutes: int) -> None:
    calendar = await resources_service.get_resource(
        session, specialist.resource_id, include_inactive=True
    )
    slots_needed(minutes, calendar.slot_minutes)


async def add_service(
    session: AsyncSession,
    specialist: Specialist,
    data: ServiceCreate,
    *,
    actor_user_id: int,
    now: datetime,
) -> SpecialistService:
    await _check_on_grid(session, specialist, data.duration_minutes)
    async with tx.transactional(session):
        service = SpecialistService(
            specialist_id=specialist.id,
            name=data.name,
            duration_minutes=data.duration_minutes,
            price_cents=data.price_cents,
            created_at=now,
            updated_at=now,
        )
        await repository.add(session, service)
        await audit.record(
            session,
            action="specialist_service.created",
            entity="specialist_service",
            entity_id=service.id,
            actor_user_id=actor_user_id,
            meta={
                "specialist_id": specialist.id,
                "name": service.name,
                "duration_minutes": service.duration_minutes,
                "price_cents": service.price_cents,
            },
        )
    return service


async def update_service(
    session: AsyncSession,
    specialist: Specialist,
    service_id: int,
    data: ServiceUpdate,
    *,
    actor_user_id: int,
    now: datetime,
) -> SpecialistService:
    """Change the fields sent; a service of another specialist is 404."""
    sent = data.model_dump(exclude_unset=True)
    if "duration_minutes" in sent:
        await _check_on_grid(session, specialist, sent["duration_minutes"])
    async with tx.transactional(session):
        service = await repository.get_service_for_update(session, service_id, specialist.id)
        if service is None:
            raise ServiceNotFoundError(f"Service {service_id} does not exist")
        changed = sorted(k for k, v in sent.items() if getattr(service, k) != v)
        if changed:
            for name in changed:
                setattr(service, name, sent[name])
            service.updated_at = now
            await audit.record(
                session,
                action="specialist_service.updated",
                entity="specialist_service",
                entity_id=service.id,
                actor_user_id=actor_user_id,
                meta={"specialist_id": specialist.id, "changed": changed},
            )
    return service


async def get_service(session: AsyncSession, service_id: int) -> SpecialistService:
    service = await repository.get_service(session, service_id)
    if service is None:
        raise ServiceNotFoundError(f"Service {service_id} does not exist")
    return service


async def list_services(
    session: AsyncSession,
    specialist: Specialist,
    *,
    include_inactive: bool,
    limit: int,
    offset: int,
) -> tuple[list[SpecialistService], int]:
    return await repository.list_services(
        session, specialist.id, include_inactive=include_inactive, limit=limit, offset=offset
    )
