"""Commands of concurrent callers share round trips; each caller still gets its own reply,
its own error, and its commands in order; a connection that cannot carry a batch any more
is never reused (core.redis.autopipeline, real Redis)."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from roomtime.core.redis import autopipeline
from roomtime.core.redis.autopipeline import AutoPipeline

pytestmark = pytest.mark.integration


async def test_a_lone_command_is_sent_at_once_as_a_plain_command(redis: Redis) -> None:
    commands = AutoPipeline(redis)
    assert await commands.execute("SET", "t:ap:lone", b"v", "EX", 30) is True
    assert await commands.execute("GET", "t:ap:lone") == b"v"
    assert (commands.round_trips, commands.commands) == (2, 2)


async def test_concurrent_commands_share_round_trips_and_get_their_own_replies(
    redis: Redis,
) -> None:
    await redis.mset({f"t:ap:k{i}": f"value-{i}" for i in range(60)})
    commands = AutoPipeline(redis)
    replies = await asyncio.gather(*(commands.execute("GET", f"t:ap:k{i}") for i in range(60)))
    assert replies == [f"value-{i}".encode() for i in range(60)]
    # The first went alone; the 59 issued while it was on the wire went as one pipeline.
    assert (commands.round_trips, commands.commands) == (2, 60)


async def test_a_batch_larger_than_the_limit_is_split(redis: Redis) -> None:
    commands = AutoPipeline(redis, max_batch=10)
    replies = await asyncio.gather(*(commands.execute("ECHO", str(i)) for i in range(31)))
    assert replies == [str(i).encode() for i in range(31)]
    assert commands.round_trips == 1 + 3  # the lone first one, then 30 in batches of 10


async def test_an_error_reply_belongs_to_its_command_alone(redis: Redis) -> None:
    await redis.set("t:ap:text", "not a number")
    commands = AutoPipeline(redis)
    results = await asyncio.gather(
        commands.execute("INCR", "t:ap:n1"),
        commands.execute("INCR", "t:ap:text"),
        commands.execute("INCR", "t:ap:n2"),
        return_exceptions=True,
    )
    assert results[0] == 1 and results[2] == 1
    assert isinstance(results[1], ResponseError)
    assert commands.round_trips == 2  # the second and third went together


async def test_execute_all_keeps_a_callers_commands_together_and_in_order(redis: Redis) -> None:
    # A small batch limit puts the 40 callers' pairs into many pipelines sent on several
    # connections at once; a pair split between two of them could land out of order.
    commands = AutoPipeline(redis, max_batch=3)

    async def pair(i: int) -> list[object]:
        return await commands.execute_all(
            [("RPUSH", "t:ap:log", f"a{i}"), ("RPUSH", "t:ap:log", f"b{i}")]
        )

    await asyncio.gather(*(pair(i) for i in range(40)))
    log = [item.decode() for item in await redis.lrange("t:ap:log", 0, -1)]
    assert len(log) == 80
    for i in range(40):
        assert log.index(f"b{i}") == log.index(f"a{i}") + 1
    with pytest.raises(ResponseError):
        await commands.execute_all([("SET", "t:ap:s", "x"), ("INCR", "t:ap:s"), ("GET", "t:ap:s")])


async def test_a_caller_cancelled_while_waiting_sends_nothing(redis: Redis) -> None:
    commands = AutoPipeline(redis)
    first = asyncio.create_task(commands.execute("SET", "t:ap:first", "1"))
    await asyncio.sleep(0)  # the first is on the wire now
    cancelled = asyncio.create_task(commands.execute("SET", "t:ap:cancelled", "1"))
    kept = asyncio.create_task(commands.execute("SET", "t:ap:kept", "1"))
    await asyncio.sleep(0)  # both wait for the end of this loop turn
    cancelled.cancel()
    assert await first is True and await kept is True
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await redis.exists("t:ap:first", "t:ap:cancelled", "t:ap:kept") == 2
    assert await redis.get("t:ap:cancelled") is None


async def test_an_unreachable_redis_fails_every_caller_with_its_error() -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        commands = AutoPipeline(dead)
        results = await asyncio.gather(
            *(commands.execute("GET", f"t:ap:{i}") for i in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, (RedisConnectionError, OSError)) for r in results), results
        await commands.aclose()
    finally:
        await dead.aclose()


async def test_round_trips_reuse_one_connection_and_aclose_gives_it_back(redis: Redis) -> None:
    commands = AutoPipeline(redis)
    first = await commands.execute("CLIENT", "ID")
    assert [await commands.execute("CLIENT", "ID") for _ in range(3)] == [first] * 3
    await commands.aclose()
    # Back in the client's pool: the client's own next command may take it.
    assert await redis.execute_command("CLIENT", "ID") == first


async def test_a_connection_the_server_closed_while_idle_is_replaced_unseen(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every idle connection is probed (as one idle for a second would be).
    monkeypatch.setattr(autopipeline, "PROBE_AFTER_IDLE_SECONDS", 0.0)
    commands = AutoPipeline(redis)
    killed = await commands.execute("CLIENT", "ID")
    assert await redis.execute_command("CLIENT", "KILL", "ID", killed) == 1
    await asyncio.sleep(0.05)  # the close reaches the idle connection
    assert await commands.execute("SET", "t:ap:after-kill", b"v") is True
    assert await commands.execute("CLIENT", "ID") != killed
    await commands.aclose()


async def test_a_batch_cancelled_before_its_reply_leaves_no_reply_for_the_next(
    redis: Redis,
) -> None:
    commands = AutoPipeline(redis)
    await commands.execute("DEL", "t:ap:empty-list")
    blocked_on = await commands.execute("CLIENT", "ID")
    # Sent alone, in this task: the connection waits for BLPOP's reply when it is cancelled.
    waiting = asyncio.create_task(commands.execute("BLPOP", "t:ap:empty-list", 1))
    await asyncio.sleep(0.2)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    # Reused, that connection would hand BLPOP's late reply (nil) to the next command.
    await commands.execute("SET", "t:ap:next", b"mine")
    assert await commands.execute("GET", "t:ap:next") == b"mine"
    assert await commands.execute("CLIENT", "ID") != blocked_on
    await asyncio.sleep(1.0)  # past BLPOP's timeout on the server
    assert await commands.execute("GET", "t:ap:next") == b"mine"
    await commands.aclose()


async def test_a_connection_closed_while_back_in_the_clients_pool_is_replaced_unseen(
    redis: Redis,
) -> None:
    given_back = AutoPipeline(redis)
    killed = await given_back.execute("CLIENT", "ID")
    await given_back.aclose()
    killer = redis.connection_pool.make_connection()
    await killer.connect()
    await killer.send_command("CLIENT", "KILL", "ID", killed)
    assert await killer.read_response() == 1
    await killer.disconnect()
    await asyncio.sleep(0.05)  # the close reaches the pooled connection
    commands = AutoPipeline(redis)
    assert await commands.execute("SET", "t:ap:after-pool-kill", b"v") is True
    assert await commands.execute("CLIENT", "ID") != killed
    await commands.aclose()
