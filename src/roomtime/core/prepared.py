"""Statements compiled once and run on the session's asyncpg connection directly: the hot
reads (`Prepared`) and the write path's statements (`InTransaction`).

On the hot reads (an availability miss, a resource, a filtered list) SQLAlchemy's own work
per request cost several times the query, and on the writes most of each statement's CPU:
building the Core statement anew (coercions), computing its cache key, the execution
context and result processing. A `Prepared` keeps the statement the repository defines
(Core, with named `param`s), compiles it once, lazily, for the asyncpg dialect, and each
call hands that SQL text and the arguments straight to asyncpg, whose per-connection
statement cache prepares it once per connection.

What the raw call keeps from SQLAlchemy's path, and why it is the same:
- The connection is the session's (`session.connection()`: autobegin, pool checkout with
  its idle ping), on the primary or a replica session alike (core.replica); or, for the
  reads answered before routing, a connection taken straight from the same pool
  (`PooledReads`, below).
- Transactions: the asyncpg adapter issues BEGIN lazily, on its first statement. A raw read
  before that runs as a single-statement transaction of its own, after it inside the
  session's transaction. For one read-only statement at READ COMMITTED (the only level the
  app uses) both see a snapshot taken when the statement starts, and neither writes, so the
  answer is the same either way; a `Prepared` never runs a statement that writes or locks.
  Those are `InTransaction` statements, which begin the transaction first when nothing has.
- Values: the dialect registers its json/jsonb codecs on every connection it opens, so the
  driver hands over parsed JSON, as SQLAlchemy's rows did; timestamptz comes back as an
  aware datetime. Rows are asyncpg Records (by name or position, not by attribute).
- Errors: a driver error is translated the way SQLAlchemy's own cursor translates it, and
  raised as the same `DBAPIError` subclass, with `connection_invalidated` set (and the
  connection invalidated, so the pool drops it) when the connection is gone: the handlers
  that map a lost database to 503 `database_unavailable` see what they always saw.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from asyncpg import InterfaceError, InternalClientError, PostgresError, Record
from sqlalchemy import BindParameter, ColumnElement, Table, bindparam, exc
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.visitors import cloned_traverse
from sqlalchemy.types import TypeEngine
from sqlalchemy.util import greenlet_spawn

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
E = TypeVar("E", bound=ClauseElement)

# The SQL of a statement does not depend on the server it runs on: one dialect compiles all.
DIALECT = PGDialect_asyncpg()

# What asyncpg raises and SQLAlchemy's adapter translates into its DBAPI exceptions.
_DRIVER_ERRORS = (PostgresError, InterfaceError, InternalClientError)

Processor = Callable[[Any], Any] | None
# What a statement builder takes: a value (an ad-hoc statement) or a `param` (one prepared).
Arg = T | ColumnElement[T]


def param(name: str, type_: TypeEngine[T] | type[TypeEngine[T]]) -> BindParameter[T]:
    """A named parameter of a prepared statement, filled in at each call. Typed, so the
    dialect renders the cast PostgreSQL needs to infer the parameter's type."""
    return bindparam(name, type_=type_)


def column_params(table: Table, names: Iterable[str]) -> dict[str, BindParameter[Any]]:
    """One named parameter per column, named and typed as the column: the VALUES of an
    INSERT built once whose row comes with each call."""
    return {name: param(name, table.c[name].type) for name in names}


def with_values(element: E, params: Mapping[str, Any]) -> E:
    """A copy of `element` whose named parameters carry these values: an ad-hoc statement
    (one to EXPLAIN, say) with the very SQL of a prepared one."""

    def fill(bind: BindParameter[Any]) -> None:
        if bind.key in params:
            bind.value = params[bind.key]
            bind.required = False

    return cloned_traverse(element, {"maintain_key": True}, {"bindparam": fill})


class Compiled:
    """A statement's SQL text (`$1, $2, ...`) and what goes in each position: a named
    parameter of the call, or a constant (a literal the statement was built with)."""

    __slots__ = ("_constants", "_slots", "sql")

    def __init__(self, statement: Executable) -> None:
        compiled = statement.compile(dialect=DIALECT)
        if compiled.literal_execute_params or compiled.post_compile_params:
            # An IN list (expanding) or a literal-execute bind is rendered per call.
            raise ValueError("a prepared statement cannot have expanding parameters")
        self.sql: str = compiled.string
        constants: list[Any] = []
        slots: list[tuple[int, str, Processor]] = []
        for position, name in enumerate(compiled.positiontup or ()):
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(DIALECT).bind_processor(DIALECT)
            if bind.required:
                constants.append(None)
                slots.append((position, name, processor))
            else:
                value = bind.effective_value
                constants.append(value if processor is None else processor(value))
        self._constants = tuple(constants)
        self._slots = tuple(slots)

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments of one call; names the statement does not use are
        ignored (one mapping may serve a page and its count)."""
        args = list(self._constants)
        for position, name, processor in self._slots:
            value = params[name]
            args[position] = value if processor is None else processor(value)
        return args


class Prepared:
    """One read statement, defined by `build` (called once, on first use), run raw."""

    __slots__ = ("_build", "_compiled")

    def __init__(self, build: Callable[[], Executable]) -> None:
        self._build = build
        self._compiled: Compiled | None = None

    @property
    def compiled(self) -> Compiled:
        if self._compiled is None:
            self._compiled = Compiled(self._build())
        return self._compiled

    @property
    def sql(self) -> str:
        return self.compiled.sql

    async def fetch(self, session: Reader, /, **params: Any) -> list[Record]:
        """Every row."""
        rows: list[Record] = await self._call(session, "fetch", params)
        return rows

    async def fetchrow(self, session: Reader, /, **params: Any) -> Record | None:
        """The first row, or None."""
        row: Record | None = await self._call(session, "fetchrow", params)
        return row

    async def fetchval(self, session: Reader, /, **params: Any) -> Any:
        """The first column of the first row, or None."""
        return await self._call(session, "fetchval", params)

    async def _connection(self, session: Reader) -> tuple[Leased, Any]:
        conn = await session.connection()
        return conn, await conn.get_raw_connection()

    async def _call(self, session: Reader, method: str, params: Mapping[str, Any]) -> Any:
        compiled = self.compiled
        args = compiled.args(params)
        conn, pooled = await self._connection(session)
        try:
            return await getattr(pooled.driver_connection, method)(compiled.sql, *args)
        except Exception as error:
            translated = await _translated(conn, pooled, error, compiled.sql, args)
            if translated is error:
                raise
            raise translated from error


class InTransaction(Prepared):
    """A statement of a write use case (it may write or lock), run raw inside the session's
    transaction: the transaction is begun first when no statement has begun it yet, the
    way SQLAlchemy's own execution would. It commits or rolls back with the session.

    What SQLAlchemy's path could do that this one does not: flush pending ORM changes first
    (the app's sessions do not autoflush: the use cases flush where a change must be
    written before a statement, for these as for every other) and synchronise loaded ORM
    objects with an UPDATE (no use case reads back through the ORM a row one of these
    statements changed; `bookings.repository.expire_overlapping` reloads the rows it
    expired).
    """

    __slots__ = ()

    async def execute(self, session: AsyncSession, /, **params: Any) -> int:
        """Run it; the number of rows it inserted, updated or deleted."""
        status: str = await self._call(session, "execute", params)
        count = status.rpartition(" ")[2]
        return int(count) if count.isdigit() else 0

    async def _connection(self, session: Reader) -> tuple[Leased, Any]:
        if not isinstance(session, AsyncSession):
            raise TypeError("a statement of a write use case runs in a session's transaction")
        conn, pooled = await super()._connection(session)
        adapted = pooled.dbapi_connection
        # SQLAlchemy's asyncpg adapter issues BEGIN lazily, before its own first statement,
        # and commits what it began; a raw statement before that would run outside the
        # transaction. Begin it the way the adapter does (under its mutex, so its own
        # statements never race the BEGIN).
        if adapted._transaction is None:  # type: ignore[union-attr]
            async with adapted._execute_mutex:  # type: ignore[union-attr]
                if adapted._transaction is None:  # type: ignore[union-attr]
                    try:
                        await adapted._start_transaction()  # type: ignore[union-attr]
                    except conn.dialect.loaded_dbapi.Error as error:
                        raise await _wrapped(conn, pooled, error, "BEGIN", []) from error
        return conn, pooled


class PooledReads:
    """A connection checked out straight from the engine's pool for `Prepared` reads, with
    no Session and no Connection around it: for the anonymous hot reads answered before
    routing (an availability miss, a resource by id, a listing), whose only statements
    are those.

    Measured on this project's bench machine, a Session's checkout, one raw statement and
    the session's close cost 420–490 µs of CPU; the pool's own checkout, the statement and
    the return 185–245 µs (asyncpg's own pool: 340 µs, its release sends a reset). What the
    session gave these reads is kept: the same pool with its checkout and checkin listeners
    (the idle ping, core.db), the return's reset (the adapter rolls back only what it began;
    a `Prepared` read begins nothing), errors translated as for a session and a lost
    connection invalidated. The connection is checked out on the first statement and
    returned on exit. Nothing but `Prepared` reads may run on it (no ORM, no
    `InTransaction`, which refuses it).
    """

    __slots__ = ("_engine", "_pooled")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pooled: PoolProxiedConnection | None = None

    @property
    def dialect(self) -> Dialect:
        return self._engine.dialect

    async def __aenter__(self) -> PooledReads:
        return self

    async def __aexit__(self, *_: object) -> None:
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            await greenlet_spawn(pooled.close)

    async def connection(self) -> PooledReads:
        """What `Prepared` asks of a session: this lease itself."""
        return self

    async def get_raw_connection(self) -> PoolProxiedConnection:
        if self._pooled is None:
            dialect = self.dialect
            try:
                self._pooled = await self._engine.raw_connection()
            except dialect.loaded_dbapi.Error as error:
                # The pool raises the adapter's own error; a Session's checkout (through
                # Connection) wraps it in SQLAlchemy's, which the 503 handlers recognise.
                raise exc.DBAPIError.instance(
                    None,
                    None,
                    error,
                    dialect.loaded_dbapi.Error,
                    connection_invalidated=dialect.is_disconnect(error, None, None),
                    dialect=dialect,
                ) from error
        return self._pooled

    async def invalidate(self, exception: BaseException | None = None) -> None:
        """The connection is gone: the pool closes it and forgets it (no return to reset)."""
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            await greenlet_spawn(pooled.invalidate, exception)


# What a `Prepared` read runs on: a request's session, or a bare pooled connection.
Reader = AsyncSession | PooledReads
# What it gets from either: the dialect, the pooled connection, and a way to drop it.
Leased = AsyncConnection | PooledReads


class Shapes(Generic[K, T]):
    """Values built per shape of a query whose SQL varies (which filters, which sort), at
    most `size` of them: the least recently used is dropped first, so a client cycling
    through odd combinations cannot grow it."""

    __slots__ = ("_build", "_found", "_size")

    def __init__(self, build: Callable[[K], T], size: int) -> None:
        self._build = build
        self._size = size
        self._found: OrderedDict[K, T] = OrderedDict()

    def __getitem__(self, shape: K) -> T:
        found = self._found.get(shape)
        if found is not None:
            self._found.move_to_end(shape)
            return found
        value = self._found[shape] = self._build(shape)
        if len(self._found) > self._size:
            self._found.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._found)


async def _translated(
    conn: Leased,
    pooled: PoolProxiedConnection,
    error: Exception,
    sql: str,
    args: list[Any],
) -> Exception:
    """What SQLAlchemy would have raised for `error` from its own cursor (`error` itself
    when it is no driver error: SQLAlchemy lets those through too)."""
    if not isinstance(error, _DRIVER_ERRORS):
        return error
    dialect = conn.dialect
    adapted = pooled.dbapi_connection
    try:
        # The adapter's own translation (asyncpg class -> DBAPI class, SQLSTATE kept); it
        # also forgets its transaction when the connection has closed.
        adapted._handle_exception(error)  # type: ignore[union-attr]
    except dialect.loaded_dbapi.Error as translated:
        dbapi_error = translated
    else:  # it always raises; this only keeps `dbapi_error` defined
        return error
    return await _wrapped(conn, pooled, dbapi_error, sql, args)


async def _wrapped(
    conn: Leased,
    pooled: PoolProxiedConnection,
    dbapi_error: Exception,
    sql: str,
    args: list[Any],
) -> Exception:
    """The SQLAlchemy exception for an error of the adapter (DBAPI level), as SQLAlchemy's
    own execution wraps it: invalidating the connection when it is gone."""
    dialect = conn.dialect
    adapted = pooled.dbapi_connection
    lost = dialect.is_disconnect(dbapi_error, adapted, None)
    if lost:
        await conn.invalidate(dbapi_error)
    return exc.DBAPIError.instance(
        sql,
        args,
        dbapi_error,
        dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=dialect,
    )
