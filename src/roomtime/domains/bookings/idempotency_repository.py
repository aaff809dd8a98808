"""SQL for the idempotency records of keyed requests (R-24): the stored outcome a replay
sends again, and the per-key lock that makes a duplicate wait for the first request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from asyncpg import Record
from sqlalchemy import Select, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.prepared import InTransaction, Prepared, column_params, param
from roomtime.domains.bookings.models import IdempotencyRecord


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


def _save_idempotency() -> Any:
    table = IdempotencyRecord.__table__
    stmt = insert(table).values(  # type: ignore[arg-type]
        column_params(table, _IDEMPOTENCY_COLUMNS)
    )
    return stmt.on_conflict_do_update(
        index_elements=["user_id", "scope", "key"],
        set_={k: stmt.excluded[k] for k in _IDEMPOTENCY_COLUMNS[3:]},
    )


_SAVE_IDEMPOTENCY = InTransaction(_save_idempotency)


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
