"""Engine, session factory and the declarative base with a constraint naming convention."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event, func
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry

from roomtime.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}  # noqa: RUF012 (SQLAlchemy API)


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


def to_async_url(url: str) -> str:
    """Accept the plain `postgresql://` URLs people paste and use the asyncpg driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def create_engine(
    settings: Settings,
    url: str | None = None,
    *,
    application_name: str = "roomtime",
    connect_timeout: float = 5,
) -> AsyncEngine:
    db = settings.database
    dsn = url or db.database_url
    if not dsn:
        raise RuntimeError("DATABASE_URL is not set (roomtime dev starts an embedded one)")
    engine = create_async_engine(
        to_async_url(dsn),
        pool_size=db.db_pool_size,
        max_overflow=db.db_max_overflow,
        # Pinged only after sitting idle (see _ping_if_idle), not on every checkout.
        pool_pre_ping=False,
        connect_args={
            "server_settings": {
                "statement_timeout": str(db.db_statement_timeout_ms),
                "application_name": application_name,
            },
            "timeout": connect_timeout,
        },
    )
    event.listen(engine.sync_engine, "checkin", _mark_idle)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


# A connection used moments ago is alive; one that sat idle may have been closed by the
# server, a proxy or a failover. pool_pre_ping's round trip on every checkout cost each
# request one more trip to PostgreSQL; pinging only those idle longer than this keeps the
# protection where it matters.
IDLE_PING_SECONDS = 5.0
_RETURNED_AT = "roomtime.returned_at"


def _mark_idle(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
    returned = record.info.get(_RETURNED_AT)
    if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:
        # The pool discards this connection and retries the checkout with a fresh one.
        raise DisconnectionError("connection failed its idle ping") from exc


def create_read_engine(settings: Settings) -> AsyncEngine | None:
    """The engine of DATABASE_READ_URL, or None when no replica is configured.

    A replica that does not answer must cost a read little before it falls back to the
    primary, hence the short connect timeout; its own application_name tells its sessions
    apart in pg_stat_activity.
    """
    url = settings.database.database_read_url
    if not url:
        return None
    return create_engine(settings, url, application_name="roomtime-read", connect_timeout=2)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: services return ORM rows that routers serialise after commit.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
