"""Request-scoped dependencies shared by every domain router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import Clock
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.core.replica import Reads
from roomtime.infrastructure import Infrastructure
from roomtime.settings import Settings


async def get_infra(request: Request) -> Infrastructure:
    """The app's Infrastructure, opened by the lifespan (see main.create_app)."""
    return request.app.state.infra


InfraDep = Annotated[Infrastructure, Depends(get_infra)]


async def get_session(infra: InfraDep) -> AsyncIterator[AsyncSession]:
    # Only yields and closes: commits happen inside services, before the response is sent,
    # so a failed commit is reported to the client.
    async with infra.sessionmaker() as session:
        yield session


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_clock(request: Request) -> Clock:
    return request.app.state.clock


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_reads(session: SessionDep, infra: InfraDep) -> Reads:
    """Where reads that tolerate staleness go: the replica when it is recent enough, else
    this request's session (core.replica). Never for a write or what a write checks."""
    return Reads(session, infra.replica)


ReadsDep = Annotated[Reads, Depends(get_reads)]


async def get_rate_limiter(infra: InfraDep) -> RateLimiter:
    return infra.limiter


async def client_ip(request: Request) -> str:
    """The caller's address. X-Forwarded-For counts only when the peer is a trusted proxy,
    and then the nearest address in it that is not itself a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = request.app.state.settings.app.trusted_proxy_list
    if peer not in trusted:
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
ClientIpDep = Annotated[str, Depends(client_ip)]
