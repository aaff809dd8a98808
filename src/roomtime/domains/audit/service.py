"""The audit trail (R-31): rows are written inside the caller's transaction."""

from __future__ import annotations

from typing import Any, TypeVar

import structlog
from sqlalchemy import ColumnElement, FromClause, Insert, cast, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import HasCTE

from roomtime.core.prepared import InTransaction, param
from roomtime.domains.audit import repository
from roomtime.domains.audit.models import AuditLog

_S = TypeVar("_S", bound=HasCTE)


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
    params = entry(
        action=action,
        entity=entity,
        entity_id=entity_id,
        actor_user_id=actor_user_id,
        meta=meta,
        ip=ip,
    )
    await record_entry(session, params)


async def record_entry(session: AsyncSession, params: dict[str, Any]) -> None:
    """`record` of an `entry` already made (one that could not ride on a statement)."""
    # Pending ORM changes are written first, as when the row was an ORM object flushed
    # with them; the row itself needs no ORM object (nothing reads it back).
    await session.flush()
    await _INSERT.execute(session, **params)


def entry(
    *,
    action: str,
    entity: str,
    actor_user_id: int | None,
    entity_id: object | None = None,
    meta: dict[str, Any] | None = None,
    ip: str | None = None,
) -> dict[str, Any]:
    """An audit row as the parameters of a statement that writes it (`_insert`, `riding`):
    named `audit_*`, apart from the parameters of a statement it rides on. A statement that
    takes the entity id from a row it writes itself ignores `entity_id`."""
    return {
        "audit_actor_user_id": actor_user_id,
        "audit_action": action,
        "audit_entity": entity,
        "audit_meta": meta or {},
        "audit_request_id": structlog.contextvars.get_contextvars().get("request_id"),
        "audit_ip": ip,
        "audit_entity_id": None if entity_id is None else str(entity_id),
    }


_COLUMNS = ("actor_user_id", "action", "entity", "entity_id", "meta", "request_id", "ip")


def _insert(
    entity_id: ColumnElement[Any] | None = None, source: FromClause | None = None
) -> Insert:
    """INSERT of one audit row from `entry`'s parameters; with `entity_id`, that column is
    the expression, over `source` (a row the same statement writes)."""
    table = AuditLog.__table__
    values: dict[str, ColumnElement[Any]] = {
        name: param(f"audit_{name}", table.c[name].type) for name in _COLUMNS
    }
    if entity_id is None:
        return insert(table).values(values)  # type: ignore[arg-type]
    values["entity_id"] = entity_id
    # Cast each: in a SELECT list PostgreSQL would not infer a parameter's type from the
    # column it ends up in.
    row = select(
        *(cast(value, table.c[name].type).label(name) for name, value in values.items())
    ).select_from(source)
    return insert(table).from_select(list(values), row)  # type: ignore[arg-type]


def riding(
    statement: _S, entity_id: ColumnElement[Any] | None = None, source: FromClause | None = None
) -> _S:
    """`statement`, also writing one audit row (`entry`'s parameters) in the same round
    trip: a data-modifying WITH, which PostgreSQL runs once whether or not the statement
    reads it, in the statement's transaction. `entity_id` and `source`: the row's
    entity id is taken from a row the statement itself writes (its id is not known
    before)."""
    return statement.add_cte(_insert(entity_id, source).cte("audit_row"))


# Built once, run raw in the caller's transaction: the values come with each execution.
_INSERT = InTransaction(_insert)


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
