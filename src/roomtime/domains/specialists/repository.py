"""SQL for specialists and their services."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.pagination import fetch_page
from roomtime.domains.specialists.models import Specialist, SpecialistService


async def add(session: AsyncSession, row: Specialist | SpecialistService) -> None:
    session.add(row)
    await session.flush()


async def get(session: AsyncSession, specialist_id: int) -> Specialist | None:
    return await session.get(Specialist, specialist_id)


async def get_by_user(session: AsyncSession, user_id: int) -> Specialist | None:
    stmt = select(Specialist).where(Specialist.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_page(
    session: AsyncSession,
    *,
    q: str | None,
    resource_ids: Collection[int] | None,
    limit: int,
    offset: int,
) -> tuple[list[Specialist], int]:
    """Specialists by name; with `resource_ids`, only those whose calendar is one of them."""
    stmt: Select[tuple[Specialist]] = select(Specialist)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Specialist.display_name.ilike(f"%{escaped}%", escape="\\"))
    if resource_ids is not None:
        stmt = stmt.where(Specialist.resource_id.in_(list(resource_ids)))
    order = [func.lower(Specialist.display_name), Specialist.id]
    return await fetch_page(session, stmt, order, limit, offset)


async def get_service(session: AsyncSession, service_id: int) -> SpecialistService | None:
    return await session.get(SpecialistService, service_id)


async def get_service_for_update(
    session: AsyncSession, service_id: int, specialist_id: int
) -> SpecialistService | None:
    """Lock the service only if it is that specialist's: another's is never touched."""
    stmt = (
        select(SpecialistService)
        .where(SpecialistService.id == service_id)
        .where(SpecialistService.specialist_id == specialist_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_services(
    session: AsyncSession, specialist_id: int, *, include_inactive: bool, limit: int, offset: int
) -> tuple[list[SpecialistService], int]:
    stmt = select(SpecialistService).where(SpecialistService.specialist_id == specialist_id)
    if not include_inactive:
        stmt = stmt.where(SpecialistService.is_active.is_(True))
    order = [func.lower(SpecialistService.name), SpecialistService.id]
    return await fetch_page(session, stmt, order, limit, offset)
