from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from roomtime.api.deps import InfraDep, SessionDep
from roomtime.domains.auth.dependencies import (
    BearerDep,
    caller_session,
    signed_in,
    verified,
)
from roomtime.domains.bookings._effects import BookingIO
from roomtime.domains.bookings.actors import Actor
from roomtime.domains.bookings.book_now import BookNowDeps
from roomtime.domains.bookings.change import ChangeDeps
from roomtime.domains.bookings.factory import BookingWiring, wiring_of
from roomtime.domains.bookings.hold import HoldDeps
from roomtime.domains.bookings.set_status import StatusDeps


async def booking_wiring(session: SessionDep, infra: InfraDep) -> BookingWiring:
    return wiring_of(session, infra)


WiringDep = Annotated[BookingWiring, Depends(booking_wiring)]


async def _hold(wiring: WiringDep) -> HoldDeps:
    return wiring.hold_deps()


async def _io(wiring: WiringDep) -> BookingIO:
    return wiring.io


async def _status(wiring: WiringDep) -> StatusDeps:
    return wiring.status_deps()


async def _change(wiring: WiringDep) -> ChangeDeps:
    return wiring.change_deps()


async def _book_now(wiring: WiringDep) -> BookNowDeps:
    return wiring.book_now_deps()


HoldDepsDep = Annotated[HoldDeps, Depends(_hold)]
BookingIODep = Annotated[BookingIO, Depends(_io)]
StatusDepsDep = Annotated[StatusDeps, Depends(_status)]
ChangeDepsDep = Annotated[ChangeDeps, Depends(_change)]
BookNowDepsDep = Annotated[BookNowDeps, Depends(_book_now)]


@dataclass(frozen=True, slots=True)
class BookingCall:
    """The caller of a hold, confirm or cancel, and the use cases' wiring on its session."""

    user: Actor
    wiring: BookingWiring


@asynccontextmanager
async def _call(
    request: Request, credentials: BearerDep, *, must_be_verified: bool
) -> AsyncIterator[BookingCall]:
    # One dependency for the busiest writes (auth.dependencies.caller_session): a quarter of a
    # hold's CPU was FastAPI solving the tree. The same checks in the same order: 401, then
    # 403 for an unverified address.
    async with caller_session(request, credentials) as (session, caller):
        user = signed_in(caller)
        if must_be_verified:
            verified(user, request.app.state.settings)
        yield BookingCall(user, wiring_of(session, request.app.state.infra))


async def _verified_call(request: Request, credentials: BearerDep) -> AsyncIterator[BookingCall]:
    async with _call(request, credentials, must_be_verified=True) as call:
        yield call


async def _signed_in_call(request: Request, credentials: BearerDep) -> AsyncIterator[BookingCall]:
    async with _call(request, credentials, must_be_verified=False) as call:
        yield call


VerifiedCallDep = Annotated[BookingCall, Depends(_verified_call)]
SignedInCallDep = Annotated[BookingCall, Depends(_signed_in_call)]
