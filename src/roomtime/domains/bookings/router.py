"""/bookings: hold, confirm, cancel, lists, admin status (SPEC §4)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status

from roomtime.api.deps import SessionDep
from roomtime.api.problems import problem_responses
from roomtime.core.ids import id_path
from roomtime.core.pagination import Page, PageParamsDep
from roomtime.domains.auth.dependencies import AdminUser, CurrentUser, VerifiedUser
from roomtime.domains.bookings import service
from roomtime.domains.bookings.cancel import cancel as cancel_booking
from roomtime.domains.bookings.dependencies import (
    BookingIODep,
    ConfirmDepsDep,
    HoldDepsDep,
    StatusDepsDep,
)
from roomtime.domains.bookings.hold import hold as hold_range
from roomtime.domains.bookings.idempotent import Replay, confirm_request
from roomtime.domains.bookings.schemas import (
    BookingFilters,
    BookingRead,
    CancelRequest,
    ConfirmRequest,
    HoldRead,
    HoldRequest,
    StatusUpdate,
    render_booking,
)
from roomtime.domains.bookings.set_status import set_status as change_status

router = APIRouter(prefix="/bookings", tags=["bookings"])

BookingId = Annotated[int, id_path("Booking id")]

Sort = Literal["starts_at", "-starts_at", "created_at", "-created_at"]

IDEMPOTENCY_DOC = (
    "Optional. Retrying with the same key and body replays the first committed result with "
    "`Idempotent-Replayed: true`; the same key with another body is 422 "
    "`idempotency_key_reused`; while the first request runs, 409 `idempotency_in_progress`. "
    "Keys are per user and kept 24 hours. 1–255 visible ASCII characters, bare or quoted."
)


@router.post(
    "/hold",
    status_code=status.HTTP_201_CREATED,
    response_model=HoldRead,
    summary="Hold a range of slots for a few minutes",
    description="The range must be in the future, on slot boundaries, contiguous, within "
    "opening hours and at most `max_hold_slots` long. The hold expires after the resource's "
    "`hold_ttl_seconds`; an overlapping hold meanwhile gets 409 `slots_unavailable`. "
    "Per user (defaults): 30 holds a minute (429 `rate_limited`), 5 live holds (409 "
    "`too_many_holds`) and, where configured, a number of upcoming bookings per resource "
    "(409 `booking_limit_reached`).",
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
async def hold(body: HoldRequest, user: VerifiedUser, deps: HoldDepsDep) -> HoldRead:
    booking = await hold_range(deps, user, body)
    return HoldRead(
        hold_id=booking.id,
        booking_id=booking.id,
        resource_id=booking.resource_id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        expires_at=booking.expires_at,  # type: ignore[arg-type]
    )


@router.post(
    "/confirm",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingRead,
    summary="Confirm your hold",
    description="Confirming an already confirmed hold returns that booking. "
    "Limited to 10 a minute per user (replays count).",
    responses=problem_responses(400, 401, 403, 404, 409, 422, 429),
)
async def confirm(
    body: ConfirmRequest,
    user: VerifiedUser,
    deps: ConfirmDepsDep,
    idempotency_key: Annotated[str | None, Header(description=IDEMPOTENCY_DOC)] = None,
) -> Response:
    outcome = await confirm_request(deps, user, body.hold_id, idempotency_key, render_booking)
    if isinstance(outcome, Replay):
        return Response(
            outcome.body,
            status_code=outcome.status_code,
            headers={"Idempotent-Replayed": "true"},
            media_type="application/json",
        )
    # Rendered by the same function whose bytes a replay of this request sends.
    return Response(render_booking(outcome), status_code=201, media_type="application/json")


@router.patch(
    "/{booking_id}/cancel",
    response_model=BookingRead,
    summary="Cancel a booking or hold (alias of POST /bookings/{booking_id}/cancel)",
    description="The same as POST, for clients that use PATCH.",
    responses=problem_responses(401, 404, 409),
)
@router.post(
    "/{booking_id}/cancel",
    response_model=BookingRead,
    summary="Cancel a booking or hold (owner or admin)",
    description="Future slots become available again. Cancelling twice returns the "
    "cancelled booking. Ended bookings: 409 `booking_ended`; within the resource's cancel "
    "deadline (non-admins): 409 `cancel_deadline_passed`.",
    responses=problem_responses(401, 404, 409),
)
async def cancel(
    booking_id: BookingId,
    user: CurrentUser,
    io: BookingIODep,
    body: CancelRequest | None = None,
) -> BookingRead:
    reason = body.reason if body else None
    return BookingRead.model_validate(await cancel_booking(io, user, booking_id, reason))


@router.get(
    "/me",
    response_model=Page[BookingRead],
    summary="Your bookings",
    description="`date_from`/`date_to` take a date (the whole UTC day) or an offset-aware "
    "datetime; a booking matches when it overlaps [date_from, date_to].",
    responses=problem_responses(401, 422),
)
async def my_bookings(
    user: CurrentUser,
    session: SessionDep,
    filters: Annotated[BookingFilters, Query()],
    paging: PageParamsDep,
    sort: Sort = "-starts_at",
) -> Page[BookingRead]:
    filters = filters.model_copy(update={"user_id": user.id})
    items, total = await service.list_bookings(
        session, filters, sort=sort, limit=paging.limit, offset=paging.offset
    )
    return paging.page([BookingRead.model_validate(b) for b in items], total)


@router.get(
    "",
    response_model=Page[BookingRead],
    summary="All bookings (admin)",
    responses=problem_responses(401, 403, 422),
)
async def all_bookings(
    _: AdminUser,
    session: SessionDep,
    filters: Annotated[BookingFilters, Query()],
    paging: PageParamsDep,
    sort: Sort = "-starts_at",
) -> Page[BookingRead]:
    items, total = await service.list_bookings(
        session, filters, sort=sort, limit=paging.limit, offset=paging.offset
    )
    return paging.page([BookingRead.model_validate(b) for b in items], total)


@router.post(
    "/{booking_id}/status",
    response_model=BookingRead,
    summary="Set a booking's status (admin)",
    description="`cancelled` (any pending or confirmed booking that has not ended, no "
    "deadline), `confirmed` (a live hold, as its owner would), `archived` (a confirmed "
    "booking that has ended). Other changes: 409 `invalid_status_transition`.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def set_status(
    booking_id: BookingId, body: StatusUpdate, admin: AdminUser, deps: StatusDepsDep
) -> BookingRead:
    booking = await change_status(deps, admin, booking_id, body.status, body.reason)
    return BookingRead.model_validate(booking)
