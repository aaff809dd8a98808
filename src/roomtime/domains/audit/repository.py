from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.pagination import fetch_page
from roomtime.domains.audit.models import AuditLog


async def list_page(
    session: AsyncSession,
    *,
    entity: str | None,
    entity_id: str | None,
    actor_user_id: int | None,
    action: str | None,
    limit: int,
    offset: int,
) -> tuple[list[AuditLog], int]:
    stmt = select(AuditLog)
    if entity is not None:
        stmt = stmt.where(AuditLog.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    if actor_user_id is not None:
        stmt = stmt.where(AuditLog.actor_user_id == actor_user_id)
    if action is not None:
        stmt = stmt.where(AuditLog.action == action)
    return await fetch_page(session, stmt, [AuditLog.ts.desc(), AuditLog.id.desc()], limit, offset)
