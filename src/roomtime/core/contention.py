"""Waiting for row locks: one lock timeout, and one `busy` error when waiting fails.

A write that would wait longer than LOCK_TIMEOUT for a row another transaction holds gives
up instead of piling connections up behind a hot row; so do deadlocks and serialization
failures. The caller answers 409 `busy` with Retry-After, and the client retries.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from asyncpg import Record
from sqlalchemy import Result, Select, Subquery, func, select, true
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import SessionTransaction

from roomtime.core.errors import BusyError
from roomtime.core.prepared import InTransaction

log = structlog.get_logger(__name__)
_T = TypeVar("_T", bound=tuple[object, ...])

LOCK_TIMEOUT = "3s"
RETRY_AFTER_SECONDS = 1
# SQLSTATEs that mean "another transaction was in the way; the same request may succeed".
_CONTENTION = {"55P03": "lock timeout", "40P01": "deadlock", "40001": "serialization failure"}
# SQLSTATEs that mean "the server is not taking this work now": too many connections, an
# administrator (or a failover) ended the backend, the server is starting or stopping.
_SERVER_AWAY = {"53300", "57P01", "57P02", "57P03"}


_SET_IN = "roomtime.lock_timeout_set_in"


def _current_transaction(session: AsyncSession) -> SessionTransaction | None:
    # The innermost one: a SET LOCAL made inside a savepoint is undone with it.
    sync = session.sync_session
    return sync.get_nested_transaction() or sync.get_transaction()


def lock_timeout_pending(session: AsyncSession) -> bool:
    """Whether the current transaction has yet to set its lock timeout."""
    marked = session.info.get(_SET_IN)
    current = _current_transaction(session)
    return current is None or marked is None or marked() is not current


def _mark_set(session: AsyncSession) -> None:
    # A weak reference: the next transaction is another object, and an id() could be reused.
    current = _current_transaction(session)
    if current is not None:
        session.info[_SET_IN] = weakref.ref(current)


async def set_lock_timeout(session: AsyncSession) -> None:
    """Limit every lock wait of the current transaction (SET LOCAL: it ends with it).
    Once per transaction: a statement that set it already (`execute_bounded`) spares it."""
    if not lock_timeout_pending(session):
        return
    await session.execute(_SET_LOCK_TIMEOUT)
    _mark_set(session)


_SET_LOCK_TIMEOUT = select(func.set_config("lock_timeout", LOCK_TIMEOUT, True))


def _lock_timeout_row() -> Subquery:
    return select(func.set_config("lock_timeout", LOCK_TIMEOUT, True).label("v")).subquery(
        "lock_timeout"
    )


def _setting_lock_timeout(stmt: Select[_T]) -> Select[_T]:
    # get_final_froms() compiles the statement: costly enough to do once, not per request.
    row = _lock_timeout_row()
    return stmt.join(row, true()) if stmt.get_final_froms() else stmt.select_from(row)


@dataclass(frozen=True, slots=True)
class Bounded(Generic[_T]):
    """A locking statement built once (named parameters), and its variant that also sets
    the lock timeout: `execute_bounded` picks one per transaction without rebuilding."""

    plain: Select[_T]
    setting: Select[_T]


def bounded(stmt: Select[_T]) -> Bounded[_T]:
    return Bounded(stmt, _setting_lock_timeout(stmt))


async def execute_bounded(
    session: AsyncSession, stmt: Bounded[_T], params: Mapping[str, Any] | None = None
) -> Result[_T]:
    """Run a statement that may wait for a lock with the transaction's lock timeout set by
    the statement itself, when not set yet: it joins a one-row subquery calling set_config,
    whose row exists before the statement's locking step runs, so the wait is bounded and
    the SET costs no round trip of its own. A `FOR UPDATE` must name its tables (`of=`).
    The pair is built once (`bounded`, at module level, named parameters in `params`)."""
    pending = lock_timeout_pending(session)
    result = await session.execute(stmt.setting if pending else stmt.plain, params)
    if pending:
        _mark_set(session)
    return result


@dataclass(frozen=True, slots=True)
class RawBounded:
    """`Bounded`, run raw in the transaction (core.prepared.InTransaction): a locking
    statement and its variant that also sets the lock timeout."""

    plain: InTransaction
    setting: InTransaction


def bounded_raw(build: Callable[[], Select[_T]]) -> RawBounded:
    return RawBounded(InTransaction(build), InTransaction(lambda: _setting_lock_timeout(build())))


async def fetchrow_bounded(session: AsyncSession, stmt: RawBounded, **params: Any) -> Record | None:
    """`execute_bounded` for a raw statement: its first row."""
    pending = lock_timeout_pending(session)
    row = await (stmt.setting if pending else stmt.plain).fetchrow(session, **params)
    if pending:
        _mark_set(session)
    return row


async def fetchval_bounded(session: AsyncSession, stmt: RawBounded, **params: Any) -> Any:
    """`execute_bounded` for a raw statement: the first column of its first row."""
    row = await fetchrow_bounded(session, stmt, **params)
    return None if row is None else row[0]


def sqlstate(exc: DBAPIError) -> str | None:
    """The SQLSTATE of a database error, whether asyncpg raised it directly or as a cause."""
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "__cause__", None), "sqlstate", None
    )


def violates_unique(exc: DBAPIError, constraint: str) -> bool:
    """Whether the error is a unique violation of `constraint` (by the driver's constraint
    name, or the name in the message when the driver gives none): a statement that writes
    several tables can break more than one."""
    if sqlstate(exc) != "23505":
        return False
    name = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    return name == constraint or constraint in str(exc)


def database_unreachable(exc: DBAPIError) -> bool:
    """Whether a database error means PostgreSQL could not be reached or dropped the
    connection (so a retry in a moment may well succeed), rather than a bad statement."""
    state = sqlstate(exc) or ""
    return exc.connection_invalidated or state.startswith("08") or state in _SERVER_AWAY


@contextmanager
def busy_on_contention(detail: str = "Too much contention; retry shortly") -> Iterator[None]:
    """Turn a lock timeout, deadlock or serialization failure into BusyError (`busy`)."""
    try:
        yield
    except DBAPIError as exc:
        reason = _CONTENTION.get(sqlstate(exc) or "")
        if reason is None:
            raise
        log.info("database_busy", reason=reason)
        raise BusyError(detail, retry_after=RETRY_AFTER_SECONDS) from exc
