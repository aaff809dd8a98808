"""SQL for the idempotency records of keyed requests (R-24): the stored outcome a replay
sends again, and the per-key lock that makes a duplicate wait for the first request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from asyncpg import Record
from sqlalchemy import Select, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import HasCTE

from roomtime.core.prepared import InTransaction, Prepared, param
from roomtime.domains.bookings.models import IdempotencyRecord

_S = TypeVar("_S", bound=HasCTE)


def _idempotency_query(columns: Sequence[Any]) -> Select[Any]:
    return select(*columns).where(
        IdempotencyRecord.user_id == param("user_id", IdempotencyRecord.user_id.type),
        IdempotencyRecord.scope == param("scope", IdempotencyRecord.scope.type),
        IdempotencyRecord.key == param("key", IdempotencyRecord.key.type),
        IdempotencyRecord.expires_at > param("now", IdempotencyRecord.expires_at.type),
    )


# What a replay needs; a plain read, so it may run raw (core.prepared).
_REPLAY = Prepared(
    lambda: _idempotency_query(
        [IdempotencyRecord.fingerprint, IdempotencyRecord.status_code, IdempotencyRecord.response]
    )
)


async def find_replay(
    session: AsyncSession, user_id: int, scope: str, key: str, now: datetime
) -> Record | None:
    """(fingerprint, status_code, response) of the key's unexpired record, or None."""
    return await _REPLAY.fetchrow(session, user_id=user_id, scope=scope, key=key, now=now)


_IDEMPOTENCY_COLUMNS = (
    "user_id", "scope", "key", "fingerprint", "status_code", "response", "created_at",
    "expires_at",
)  # fmt: skip


def _save_idempotency(prefix: str = "") -> Any:
    """The upsert of a record, its values as parameters named `prefix` + column."""
    table = IdempotencyRecord.__table__
    values = {name: param(f"{prefix}{name}", table.c[name].type) for name in _IDEMPOTENCY_COLUMNS}
    stmt = insert(table).values(values)  # type: ignore[arg-type]
    return stmt.on_conflict_do_update(
        index_elements=["user_id", "scope", "key"],
        set_={k: stmt.excluded[k] for k in _IDEMPOTENCY_COLUMNS[3:]},
    )


_SAVE_IDEMPOTENCY = InTransaction(_save_idempotency)
_RIDING = "stored_"


def riding(statement: _S) -> _S:
    """`statement`, also storing a keyed request's outcome (`riding_params`) in the same
    round trip: a data-modifying WITH, run once, in the statement's transaction."""
    return statement.add_cte(_save_idempotency(_RIDING).cte("idempotency_record"))


def riding_params(values: dict[str, Any]) -> dict[str, Any]:
    """`save_idempotency`'s `values` as the parameters of a statement it rides on."""
    return {f"{_RIDING}{name}": value for name, value in values.items()}


async def save_idempotency(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a keyed request's outcome (`values` name every column of
    `_IDEMPOTENCY_COLUMNS`). An expired record with the same key is replaced: the key is
    free again after 24 h."""
    await _SAVE_IDEMPOTENCY.execute(session, **values)


async def lock_idempotency_key(session: AsyncSession, user_id: int, scope: str, key: str) -> None:
    """Serialise the requests of one user carrying one key until this transaction ends: a
    duplicate waits for the first and then finds its stored outcome (no row exists yet to
    lock, which is why an advisory lock on the key's hash)."""
    await session.execute(_LOCK_IDEMPOTENCY_KEY, {"name": f"idempotency:{user_id}:{scope}:{key}"})


_LOCK_IDEMPOTENCY_KEY = text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")
