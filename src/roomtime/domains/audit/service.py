"""The audit trail (R-31): rows are written inside the caller's transaction."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.prepared import InTransaction, column_params
from roomtime.domains.audit import repository
from roomtime.domains.audit.models import AuditLog


async def record(
    session: AsyncSession,
    *,
    action: str,
    entity: str,
    entity_id: object | None,
    actor_user_id: int | None,
    meta: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Add an audit row to the current transaction: it commits or rolls back with the change."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    # Pending ORM changes are written first, as when the row was an ORM object flushed
    # with them; the row itself needs no ORM object (nothing reads it back).
    await session.flush()
    values = {
        "actor_user_id": actor_user_id,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "meta": meta or {},
        "request_id": request_id,
        "ip": ip,
    }
    await _INSERT.execute(session, **values)


# Built once, run raw in the caller's transaction: the values come with each execution.
_COLUMNS = ("actor_user_id", "action", "entity", "entity_id", "meta", "request_id", "ip")
_INSERT = InTransaction(
    lambda: insert(AuditLog.__table__).values(  # type: ignore[arg-type]
        column_params(AuditLog.__table__, _COLUMNS)
    )
)


async def list_entries(
    session: AsyncSession,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_user_id: int | None = None,
    action: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[AuditLog], int]:
    return await repository.list_page(
        session,
        entity=entity,
        entity_id=entity_id,
        actor_user_id=actor_user_id,
        action=action,
        limit=limit,
        offset=offset,
    )
