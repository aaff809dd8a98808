"""SQL for resources and their opening hours."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.resources.models import Resource


async def get(session: AsyncSession, resource_id: int) -> Resource | None:
    return await session.get(Resource, resource_id)


async def get_by_name(session: AsyncSession, name: str) -> Resource | None:
    stmt = select(Resource).where(Resource.name == name).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add(session: AsyncSession, resource: Resource) -> Resource:
    session.add(resource)
    await session.flush()
    return resource
