"""Stopping a background task that swallows a cancellation (core.tasks.cancel_and_wait)."""

from __future__ import annotations

import asyncio

import pytest

from roomtime.core.tasks import cancel_and_wait

pytestmark = pytest.mark.unit


async def _swallows_first_cancel(swallowed: asyncio.Event) -> None:
    # What a cancellation dropped inside a client's wait_for looks like from outside.
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        swallowed.set()
    await asyncio.sleep(3600)


async def test_one_cancel_can_leave_a_task_running() -> None:
    swallowed = asyncio.Event()
    task = asyncio.create_task(_swallows_first_cancel(swallowed))
    await asyncio.sleep(0)
    task.cancel()
    await swallowed.wait()
    for _ in range(3):
        await asyncio.sleep(0)
    assert not task.done()  # awaiting it now would never return
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancel_and_wait_repeats_the_cancel_until_the_task_has_ended() -> None:
    swallowed = asyncio.Event()
    task = asyncio.create_task(_swallows_first_cancel(swallowed))
    await asyncio.sleep(0)
    await cancel_and_wait(task, repeat_every=0.01)
    assert swallowed.is_set()
    assert task.cancelled()


async def test_cancel_and_wait_consumes_the_error_a_task_ended_with() -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert task.done() and not task.cancelled()
    assert isinstance(task.exception(), RuntimeError)


async def test_cancel_and_wait_on_a_finished_task_returns_at_once() -> None:
    task = asyncio.create_task(asyncio.sleep(0))
    await task
    await cancel_and_wait(task)
    assert task.done() and not task.cancelled()
