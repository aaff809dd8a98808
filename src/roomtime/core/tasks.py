"""Stopping a background task for good."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

log = structlog.get_logger(__name__)


async def cancel_and_wait(task: asyncio.Task[Any], *, repeat_every: float = 1.0) -> None:
    """Cancel `task` and return once it has ended.

    One cancel is not always enough. On Python 3.11 `asyncio.wait_for`, which the database
    and Redis clients use inside, returns a result that arrived in the same loop turn as
    the cancellation and drops the cancellation; the task then carries on as if never
    cancelled, and whoever awaited it after one `cancel()` waited forever (a worker that
    never finished stopping). So the cancel is repeated until the task has ended. How it
    ended is consumed here: an error is logged, never left unretrieved.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=repeat_every)
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("background_task_failed", task=task.get_name(), error=repr(error))
