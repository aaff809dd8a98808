from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from roomtime.api.deps import InfraDep, SessionDep
from roomtime.domains.bookings._effects import BookingIO
from roomtime.domains.bookings.book_now import BookNowDeps
from roomtime.domains.bookings.change import ChangeDeps
from roomtime.domains.bookings.factory import BookingWiring, wiring_of
from roomtime.domains.bookings.hold import HoldDeps
from roomtime.domains.bookings.idempotent import ConfirmRequestDeps
from roomtime.domains.bookings.set_status import StatusDeps


async def booking_wiring(session: SessionDep, infra: InfraDep) -> BookingWiring:
    return wiring_of(session, infra)


WiringDep = Annotated[BookingWiring, Depends(booking_wiring)]


async def _hold(wiring: WiringDep) -> HoldDeps:
    return wiring.hold_deps()


async def _confirm(wiring: WiringDep) -> ConfirmRequestDeps:
    return wiring.confirm_request_deps()


async def _io(wiring: WiringDep) -> BookingIO:
    return wiring.io


async def _status(wiring: WiringDep) -> StatusDeps:
    return wiring.status_deps()


async def _change(wiring: WiringDep) -> ChangeDeps:
    return wiring.change_deps()


async def _book_now(wiring: WiringDep) -> BookNowDeps:
    return wiring.book_now_deps()


HoldDepsDep = Annotated[HoldDeps, Depends(_hold)]
ConfirmDepsDep = Annotated[ConfirmRequestDeps, Depends(_confirm)]
BookingIODep = Annotated[BookingIO, Depends(_io)]
StatusDepsDep = Annotated[StatusDeps, Depends(_status)]
ChangeDepsDep = Annotated[ChangeDeps, Depends(_change)]
BookNowDepsDep = Annotated[BookNowDeps, Depends(_book_now)]
