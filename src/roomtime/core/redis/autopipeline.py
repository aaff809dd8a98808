"""Redis commands of concurrent requests sent together, one round trip per event-loop turn.

Under load most of what a Redis command costs this process is not Redis's work but the
client's: a checkout from redis-py's pool (with its probe that the connection has nothing
unread), a socket write, a socket read, a timeout scope. Measured on a 2-CPU machine, a GET
cost ~110 µs of client CPU per command with 16 requests in flight; the same GETs sent as
one pipeline per loop turn cost ~26 µs each. So the cache, the hold locks and the
in-flight markers send their commands through one `AutoPipeline` (as "auto-pipelining"
clients for other languages do):

- A command issued while nothing else is waiting is sent at once, as a plain command: a
  lone request pays nothing for this (same CPU, same latency).
- A command issued while others are on the wire waits for the end of the current loop
  turn and goes with every other command issued in that turn, in one non-transactional
  pipeline: one connection, one write, one read. Each caller gets its own reply, or its
  own error (a Redis error reply belongs to its command alone).
- A caller's commands keep their order: those given together (`execute_all`) go
  contiguous and in order in one pipeline, and a caller's next command is issued only
  after its reply. Between callers there is no order, as with separate round trips: two
  batches on the wire at once travel on two connections. A pipeline is not a
  transaction: other callers' commands may run between two of a caller's. None of the
  callers relies on more.
- When Redis fails (refused, reset, timed out), every command of the batch fails with that
  error, and each caller does what its module says it does when Redis is unavailable.
- A caller cancelled while its command waits does not send it; one cancelled after the
  batch left gets nothing, and the others still get their replies (the batch runs in a
  task of its own, never in a request's task).

Round trips are sent on connections this pipeline keeps checked out of the client's pool
between batches, written and read with redis-py's own connection calls (packing, the
parser, the socket timeout, the response callbacks of the client). Measured under wrk, a
miss of the availability cache sent 1.2-1.3 commands per round trip: batching rarely has
company to share, and the client's per-command checkout (a lock, a probe that reads the
socket with a zero timeout, the retry wrapper, a Pipeline object) was most of what a round
trip cost this process; without it an availability miss served 20-30 % more requests.
What the checkout's probe was for is kept: a connection that sat idle for a second, or
one taken from the client's pool, is probed before it carries a batch (the server may have
closed it: a restart), and one that failed or was cancelled mid-batch (replies left
unread) is disconnected, never reused. A connection used within the last second that the
server closed fails its one batch, and its callers fall back as for any Redis failure.
The client's `aclose` closes them all.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError, ResponseError

Command = tuple[Any, ...]

# Enough to carry a loop turn of a busy process; a bigger turn is split (between callers).
MAX_BATCH = 256
# Connections kept between batches; one more is given back to the client's pool.
MAX_IDLE_CONNECTIONS = 16
# An idle connection is probed before its next batch after this long.
PROBE_AFTER_IDLE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class _Idle:
    connection: AbstractConnection
    loop: asyncio.AbstractEventLoop
    since: float


@dataclass(frozen=True, slots=True)
class _Unit:
    """One caller's commands, kept together and in order in whatever batch carries them."""

    commands: tuple[Command, ...]
    future: asyncio.Future[list[Any]]


class AutoPipeline:
    def __init__(self, redis: Redis, *, max_batch: int = MAX_BATCH) -> None:
        self.redis = redis
        self._max_batch = max_batch
        self._waiting: list[_Unit] = []
        # The loop on which a send of `_waiting` is scheduled, if any. Kept per loop: a send
        # scheduled on a loop that closed before running it (tests run one loop after
        # another) must not keep a later loop's commands waiting for it.
        self._send_scheduled_on: asyncio.AbstractEventLoop | None = None
        self._on_wire = 0
        self._idle: list[_Idle] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # What has been sent, for tests and the bench: round trips and commands.
        self.round_trips = 0
        self.commands = 0

    async def execute(self, *command: Any) -> Any:
        """Send one command (`"SET", key, value, "EX", 30`); its reply as redis-py parses it,
        or its error raised."""
        (reply,) = await self.execute_all([command])
        return reply

    async def execute_all(self, commands: Sequence[Command]) -> list[Any]:
        """Send several commands, contiguous and in this order, in one round trip; their
        replies, or the first error reply raised (as a pipeline's `execute()` does)."""
        unit = tuple(commands)
        if not unit:
            return []
        if self._on_wire == 0 and not self._waiting:
            replies = await self._round_trip(list(unit))
        else:
            replies = await self._wait_for_batch(unit)
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply
        return replies

    def _wait_for_batch(self, commands: tuple[Command, ...]) -> asyncio.Future[list[Any]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        if self._send_scheduled_on is not loop:
            # An empty context: the batch is nobody's request (no request id of its own).
            loop.call_soon(self._send_waiting, context=contextvars.Context())
            self._send_scheduled_on = loop
        self._waiting.append(_Unit(commands, future))
        return future

    def _send_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        self._send_scheduled_on = None
        waiting, self._waiting = self._waiting, []
        batch: list[_Unit] = []
        size = 0
        for unit in waiting:
            # Its caller was cancelled, or its loop has closed: nothing to send.
            if unit.future.done() or unit.future.get_loop() is not loop:
                continue
            if batch and size + len(unit.commands) > self._max_batch:
                self._start(batch)
                batch, size = [], 0
            batch.append(unit)
            size += len(unit.commands)
        if batch:
            self._start(batch)

    def _start(self, batch: list[_Unit]) -> None:
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[_Unit]) -> None:
        try:
            replies = await self._round_trip([c for unit in batch for c in unit.commands])
        except asyncio.CancelledError:
            for unit in batch:
                unit.future.cancel()
            raise
        offset = 0
        for unit in batch:
            count = len(unit.commands)
            if not unit.future.done():
                unit.future.set_result(replies[offset : offset + count])
            offset += count

    async def _round_trip(self, commands: list[Command]) -> list[Any]:
        """The replies of `commands` sent together; an error (reply or connection) in place
        of each reply it took."""
        self._on_wire += 1
        self.round_trips += 1
        self.commands += len(commands)
        try:
            return await self._send_on_connection(commands)
        except Exception as exc:  # noqa: BLE001 - handed to every caller, who handles it
            return [exc] * len(commands)
        finally:
            self._on_wire -= 1

    async def _send_on_connection(self, commands: list[Command]) -> list[Any]:
        connection = await self._checkout()
        try:
            await connection.send_packed_command(
                connection.pack_commands(commands), check_health=False
            )
            replies = [await self._reply(connection, command) for command in commands]
        except BaseException:
            # Replies may be left unread on it: it cannot carry another batch.
            await self._discard(connection)
            raise
        await self._checkin(connection)
        return replies

    async def _reply(self, connection: AbstractConnection, command: Command) -> Any:
        try:
            response = await connection.read_response()
        except ResponseError as error:
            # An error reply is read whole: the connection goes on to the next reply.
            return error
        callback = self.redis.response_callbacks.get(command[0])
        return response if callback is None else callback(response)

    async def _checkout(self) -> AbstractConnection:
        loop = asyncio.get_running_loop()
        while self._idle:
            idle = self._idle.pop()
            if idle.loop is not loop:
                # Made on a loop that has ended (tests run one after another).
                await self.redis.connection_pool.release(idle.connection)
                continue
            if time.monotonic() - idle.since < PROBE_AFTER_IDLE_SECONDS:
                return idle.connection
            try:
                if not await idle.connection.can_read_destructive():
                    return idle.connection
            except (RedisError, OSError):
                pass  # closed by the server while idle
            except BaseException:
                await self._discard(idle.connection)
                raise
            await self._discard(idle.connection)
        # None kept: one from the client's pool, connected, and probed as the pool's own
        # checkout does (it may have sat there long enough for the server to close it).
        pool = self.redis.connection_pool
        connection = pool.get_available_connection()
        try:
            await pool.ensure_connection(connection)
        except BaseException:
            await self._discard(connection)
            raise
        return connection

    async def _checkin(self, connection: AbstractConnection) -> None:
        if len(self._idle) < MAX_IDLE_CONNECTIONS:
            loop = asyncio.get_running_loop()
            self._idle.append(_Idle(connection, loop, time.monotonic()))
        else:
            await self.redis.connection_pool.release(connection)

    async def _discard(self, connection: AbstractConnection) -> None:
        await connection.disconnect(nowait=True)
        await self.redis.connection_pool.release(connection)

    async def aclose(self) -> None:
        """Wait for the batches on the wire and give the connections back (at shutdown,
        before the client is closed)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        idle, self._idle = self._idle, []
        for each in idle:
            await self.redis.connection_pool.release(each.connection)
