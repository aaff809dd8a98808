from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from roomtime.api.cache import CacheDep
from roomtime.api.deps import ClockDep, RateLimiterDep, SessionDep, SettingsDep
from roomtime.domains.bookings.service import BookingService


def booking_service(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    limiter: RateLimiterDep,
    cache: CacheDep,
) -> BookingService:
    state = request.app.state
    return BookingService(
        session,
        settings,
        clock,
        limiter=limiter,
        locks=state.hold_locks,
        markers=state.inflight_markers,
        cache=cache,
        notifier=state.notifier,
    )


BookingServiceDep = Annotated[BookingService, Depends(booking_service)]
