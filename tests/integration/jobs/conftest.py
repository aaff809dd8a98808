"""Jobs run against the real PostgreSQL and Redis with a frozen clock, outside any worker:
each test calls a job function with the same context the worker builds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.domains.bookings.factory import BookingWiring, wiring_of
from roomtime.domains.jobs.context import job_context
from roomtime.infrastructure import infra_of
from roomtime.settings import MailSettings, Settings
from tests.conftest import make_settings
from tests.services import ServiceUrls
from tests.support.smtp import Inbox, smtp_server

pytestmark = pytest.mark.integration


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as found:
        yield found


@pytest.fixture
def job_settings(services: ServiceUrls, tmp_path: Path, inbox: Inbox) -> Settings:
    return make_settings(
        services, tmp_path, mail=MailSettings(smtp_host=inbox.host, smtp_port=inbox.port)
    )


@pytest.fixture
async def ctx(
    job_settings: Settings, clock: FrozenClock, session: AsyncSession, redis: Redis
) -> AsyncIterator[dict[str, Any]]:
    """The worker's context on the test's clock (tables emptied, Redis flushed)."""
    async with job_context(job_settings, clock) as found:
        yield found


def booking_wiring(ctx: dict[str, Any], session: AsyncSession) -> BookingWiring:
    """The booking use cases' dependencies on the worker's collaborators, for arranging data."""
    return wiring_of(session, infra_of(ctx))


async def scalar(session: AsyncSession, sql: str, **params: Any) -> Any:
    value = await session.scalar(text(sql), params)
    await session.commit()  # end the read transaction (keeps loaded rows, unlike rollback)
    return value
