"""Prepared reads (core.prepared): compiled once, run raw on the session's asyncpg
connection, with SQLAlchemy's values, transaction and error mapping."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, timedelta
from typing import Any

import pytest
from sqlalchemy import Integer, func, insert, literal, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.core.contention import database_unreachable
from roomtime.core.db import create_sessionmaker
from roomtime.core.prepared import DIALECT, InTransaction, PooledReads, Prepared, Shapes, param
from roomtime.domains.audit.models import AuditLog
from roomtime.domains.resources import repository as resources_repository
from roomtime.domains.resources.models import Resource
from roomtime.domains.slots import repository as slots_repository
from roomtime.domains.slots.calendar import day_bounds
from tests.factories import rows
from tests.factories.resources import every_day, make_resource

pytestmark = pytest.mark.integration

TOMORROW = date(2030, 1, 8)


def _doubled() -> Any:
    # A literal (a constant parameter) beside a named one.
    return select(param("n", Integer()) * 2 + literal(1), literal("x").label("tag"))


def test_compiles_once_on_first_use() -> None:
    built = []

    def build() -> Any:
        built.append(1)
        return _doubled()

    prepared = Prepared(build)
    assert built == []
    first = prepared.sql
    assert prepared.sql is first
    assert prepared.compiled is prepared.compiled
    assert built == [1]
    assert first.count("$") == 4  # the parameter and three constants


def test_arguments_are_those_sqlalchemy_would_send() -> None:
    start, end = day_bounds(TOMORROW, UTC)
    values = {"resource_id": 7, "start": start, "end": end, "now": start - timedelta(hours=3)}
    statement = slots_repository.AVAILABLE_DAY
    compiled = slots_repository.available_day_query(
        param("resource_id", Resource.id.type),
        param("start", Resource.created_at.type),
        param("end", Resource.created_at.type),
        param("now", Resource.created_at.type),
    ).compile(dialect=DIALECT)
    expected = compiled.construct_params(values)
    assert statement.sql == compiled.string
    assert statement.compiled.args(values) == [expected[n] for n in compiled.positiontup or ()]
    with pytest.raises(KeyError):
        statement.compiled.args({"resource_id": 7})


def test_expanding_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="expanding"):
        _ = Prepared(lambda: select(Resource.id).where(Resource.id.in_([1, 2]))).sql


def test_shapes_keep_a_bounded_number() -> None:
    built: list[int] = []
    shapes: Shapes[int, str] = Shapes(lambda n: built.append(n) or f"shape {n}", size=2)
    assert shapes[1] == "shape 1" and shapes[2] == "shape 2" and shapes[1] == "shape 1"
    assert shapes[3] == "shape 3"  # drops 2, the least recently used
    assert len(shapes) == 2 and built == [1, 2, 3]
    assert shapes[1] == "shape 1" and built == [1, 2, 3]
    assert shapes[2] == "shape 2" and built == [1, 2, 3, 2]


async def test_fetch_fetchrow_fetchval(session: AsyncSession) -> None:
    prepared = Prepared(_doubled)
    found = await prepared.fetch(session, n=20)
    assert [tuple(r) for r in found] == [(41, "x")]
    row = await prepared.fetchrow(session, n=1)
    assert row is not None and row["tag"] == "x" and row[0] == 3
    assert await prepared.fetchval(session, n=-1) == -1


async def test_rows_carry_the_values_sqlalchemy_gave(
    session: AsyncSession, clock: FrozenClock
) -> None:
    room = await make_resource(session, clock, opening_hours=every_day("08:00", "10:00"))
    await session.commit()
    raw = await resources_repository.get_read_row(session, room.id)
    through_orm = (await session.execute(resources_repository.read_by_id_query(room.id))).one()
    assert raw is not None
    assert dict(raw.items()) == through_orm._asdict()
    # Parsed JSON (the dialect's codec), aware datetimes.
    assert raw["hours"][0] == [0, 480, 600]
    assert raw["created_at"].tzinfo is not None

    start, end = day_bounds(TOMORROW, UTC)
    now = clock()
    day = await slots_repository.list_available_day(session, room.id, start, end, now)
    expected = (
        await session.execute(slots_repository.available_day_query(room.id, start, end, now))
    ).all()
    assert [tuple(r) for r in day] == [tuple(r) for r in expected]
    assert len(day) == 2


async def test_runs_inside_the_sessions_transaction_once_begun(session: AsyncSession) -> None:
    facts = resources_repository.FACTS
    # Before any statement of SQLAlchemy's: a statement of its own, and the session goes on.
    assert await facts.fetchrow(session, resource_id=1) is None
    room = await rows.resource(session)  # flushed, not committed
    room_id, name = room.id, room.name
    found = await facts.fetchrow(session, resource_id=room_id)
    assert found is not None and found["name"] == name
    await session.rollback()
    assert await facts.fetchrow(session, resource_id=room_id) is None


async def test_a_bad_statement_is_sqlalchemys_error_and_not_unreachable(
    session: AsyncSession,
) -> None:
    prepared = Prepared(lambda: select(literal(1) / param("n", Integer())))
    with pytest.raises(DBAPIError) as raised:
        await prepared.fetchval(session, n=0)
    assert getattr(raised.value.orig, "sqlstate", None) == "22012"  # division by zero
    assert not raised.value.connection_invalidated
    assert not database_unreachable(raised.value)
    await session.rollback()
    assert await prepared.fetchval(session, n=1) == 1


async def test_a_lost_connection_is_unreachable_and_leaves_the_pool(
    engine: AsyncEngine, clean_db: None
) -> None:
    prepared = Prepared(_doubled)
    async with create_sessionmaker(engine)() as session:
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as raised:
            await prepared.fetchval(session, n=1)
    assert raised.value.connection_invalidated
    assert database_unreachable(raised.value)
    async with create_sessionmaker(engine)() as session:
        assert await session.scalar(text("SELECT pg_backend_pid()")) != pid
        assert await prepared.fetchval(session, n=1) == 3


def _audit_insert() -> InTransaction:
    table = AuditLog.__table__
    return InTransaction(
        lambda: insert(table).values(  # type: ignore[arg-type]
            action=param("action", table.c.action.type), entity="test"
        )
    )


async def _audit_actions(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list(
            (await conn.execute(text("SELECT action FROM audit_log ORDER BY id"))).scalars()
        )


async def test_a_raw_write_first_begins_the_transaction_it_rolls_back_with(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    # No statement of SQLAlchemy's ran before: the raw one must not run on its own.
    write = _audit_insert()
    assert await write.execute(session, action="first") == 1
    assert await session.scalar(text("SELECT count(*) FROM audit_log")) == 1  # same transaction
    assert await _audit_actions(engine) == []  # not committed: invisible elsewhere
    await session.rollback()
    assert await _audit_actions(engine) == []


async def test_a_raw_write_commits_with_the_session_between_orm_statements(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    write = _audit_insert()
    room = await rows.resource(session)  # SQLAlchemy begins the transaction here
    assert await write.execute(session, action="after the orm") == 1
    room.name = "Renamed"
    await session.flush()
    await session.commit()
    assert await _audit_actions(engine) == ["after the orm"]
    assert await write.execute(session, action="next transaction") == 1
    await session.commit()
    assert await _audit_actions(engine) == ["after the orm", "next transaction"]


async def test_a_raw_writes_constraint_error_is_sqlalchemys_integrity_error(
    session: AsyncSession,
) -> None:
    write = InTransaction(
        lambda: insert(AuditLog.__table__).values(  # type: ignore[arg-type]
            action=param("action", AuditLog.__table__.c.action.type), entity=None
        )
    )
    with pytest.raises(IntegrityError) as raised:
        await write.execute(session, action="no entity")
    assert getattr(raised.value.orig, "sqlstate", None) == "23502"  # not null
    await session.rollback()
    assert await session.scalar(text("SELECT count(*) FROM audit_log")) == 0


async def test_a_raw_write_on_a_lost_connection_is_unreachable(
    engine: AsyncEngine, clean_db: None
) -> None:
    write = _audit_insert()
    backend = Prepared(lambda: select(func.pg_backend_pid()))
    async with create_sessionmaker(engine)() as session:
        # A raw read: the session holds its connection, and nothing has begun a transaction
        # on it, so the write's first step (BEGIN) is what meets the lost connection.
        pid = await backend.fetchval(session)
        async with engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as raised:
            await write.execute(session, action="lost")
    assert raised.value.connection_invalidated or database_unreachable(raised.value)


_BACKEND = Prepared(lambda: select(func.pg_backend_pid()))
_NOW = Prepared(lambda: select(func.now()))


async def test_pooled_reads_check_out_on_first_read_and_return_on_exit(
    engine: AsyncEngine, clean_db: None
) -> None:
    pool = engine.sync_engine.pool
    # The observer is checked out first and held throughout, so it can never be handed
    # the very connection the lease gives back (it would then see itself "active").
    async with engine.connect() as admin:
        await admin.scalar(text("SELECT 1"))
        async with PooledReads(engine) as reads:
            assert pool.checkedout() == 1  # nothing until a statement needs it
            assert await Prepared(_doubled).fetchval(reads, n=4) == 9
            first = await _BACKEND.fetchval(reads)
            assert await _BACKEND.fetchval(reads) == first  # one connection for the lease
            assert pool.checkedout() == 2
        assert pool.checkedout() == 1
        # Back in the pool and idle: no transaction left open on it.
        state = await admin.scalar(
            text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": first}
        )
        await admin.rollback()
    assert state == "idle"


async def test_pooled_reads_run_each_read_as_its_own_statement(
    engine: AsyncEngine, clean_db: None
) -> None:
    async with PooledReads(engine) as reads:
        # No BEGIN was sent: each read is a transaction of its own (inside one, now() would
        # not move), as a session's raw reads are before anything begins its transaction.
        first = await _NOW.fetchval(reads)
        await asyncio.sleep(0.01)
        assert await _NOW.fetchval(reads) > first


async def test_pooled_reads_on_a_lost_connection_are_unreachable_and_leave_the_pool(
    engine: AsyncEngine, clean_db: None
) -> None:
    pool = engine.sync_engine.pool
    async with PooledReads(engine) as reads:
        pid = await _BACKEND.fetchval(reads)
        async with engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as raised:
            await Prepared(_doubled).fetchval(reads, n=1)
        assert raised.value.connection_invalidated
        assert database_unreachable(raised.value)
        # The next read of the same lease takes a fresh connection.
        assert await _BACKEND.fetchval(reads) != pid
    assert pool.checkedout() == 0


async def test_a_statement_of_a_write_refuses_pooled_reads(engine: AsyncEngine) -> None:
    async with PooledReads(engine) as reads:
        with pytest.raises(TypeError):
            await _audit_insert().execute(reads, action="x")  # type: ignore[arg-type]
