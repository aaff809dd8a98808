"""Waiting for row locks: one lock timeout, and one `busy` error when waiting fails.

A write that would wait longer than LOCK_TIMEOUT for a row another transaction holds gives
up instead of piling connections up behind a hot row; so do deadlocks and serialization
failures. The caller answers 409 `busy` with Retry-After, and the client retries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.errors import BusyError

log = structlog.get_logger(__name__)

LOCK_TIMEOUT = "3s"
RETRY_AFTER_SECONDS = 1
# SQLSTATEs that mean "another transaction was in the way; the same request may succeed".
_CONTENTION = {"55P03": "lock timeout", "40P01": "deadlock", "40001": "serialization failure"}
# SQLSTATEs that mean "the server is not taking this work now": too many connections, an
# administrator (or a failover) ended the backend, the server is starting or stopping.
_SERVER_AWAY = {"53300", "57P01", "57P02", "57P03"}


async def set_lock_timeout(session: AsyncSession) -> None:
    """Limit every lock wait of the current transaction (SET LOCAL: it ends with it)."""
    await session.execute(select(func.set_config("lock_timeout", LOCK_TIMEOUT, True)))


def sqlstate(exc: DBAPIError) -> str | None:
    """The SQLSTATE of a database error, whether asyncpg raised it directly or as a cause."""
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "__cause__", None), "sqlstate", None
    )


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
