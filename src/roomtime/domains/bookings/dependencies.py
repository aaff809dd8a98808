from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from roomtime.api.cache import CacheDep
from roomtime.api.deps import ClockDep, RateLimiterDep, SessionDep, SettingsDep
from roomtime.domains.bookings.factory import build_booking_service
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
    return build_booking_service(
        session,
        settings,
        clock,
        redis=state.redis,
        limiter=limiter,
        cache=cache,
        notifier=state.notifier,
    )


BookingServiceDep = Annotated[BookingService, Depends(booking_service)]
