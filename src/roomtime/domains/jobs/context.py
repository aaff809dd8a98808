"""What every job gets: the dict arq hands to each job, carrying the process's
`Infrastructure` under "infra" (read it with `roomtime.infrastructure.infra_of(ctx)`).

The worker binds it once at startup, `roomtime job run` for its one run; both build it with
`open_infrastructure`, like the API. arq adds its own keys (`redis`, its pool; `job_id`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from roomtime.core.clock import Clock
from roomtime.infrastructure import JOB_CONTEXT_KEY, Infrastructure, open_infrastructure
from roomtime.settings import Settings

JobContext = dict[str, Any]


def bind_infrastructure(ctx: JobContext, infra: Infrastructure) -> None:
    ctx[JOB_CONTEXT_KEY] = infra


@asynccontextmanager
async def job_context(settings: Settings, clock: Clock | None = None) -> AsyncIterator[JobContext]:
    """A job context on a new Infrastructure, closed on exit (`job run` and tests)."""
    async with open_infrastructure(settings, clock) as infra:
        ctx: JobContext = {}
        bind_infrastructure(ctx, infra)
        yield ctx
