"""/bookings: hold, confirm, cancel, lists, admin status (SPEC §4)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Header, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.api.cache import CacheDep
from roomtime.api.deps import ReadsDep, SessionDep
from roomtime.api.problems import COMMON_RESPONSES, coded_problems, problem_responses
from roomtime.api.responses import json_response, model_response
from roomtime.core.ids import id_path
from roomtime.core.pagination import Page, PageParamsDep
from roomtime.domains.auth.dependencies import AdminUser, CurrentUser, VerifiedUser
from roomtime.domains.bookings import service
from roomtime.domains.bookings.cancel import cancel as cancel_booking
from roomtime.domains.bookings.change import change as change_booking
from roomtime.domains.bookings.dependencies import (
    ChangeDepsDep,
    SignedInCallDep,
    StatusDepsDep,
    VerifiedCallDep,
)
from roomtime.domains.bookings.hold import hold as hold_range
from roomtime.domains.bookings.idempotent import confirm_request
from roomtime.domains.bookings.responses import created_or_replayed
from roomtime.domains.bookings.schemas import (
    BookingFilters,
    BookingRead,
    CancelRequest,
    ChangeRequest,
    ConfirmRequest,
    HoldRead,
    HoldRequest,
    StatusUpdate,
    render_booking,
)
from roomtime.domains.bookings.set_status import set_status as change_status

router = APIRouter(prefix="/bookings", tags=["bookings"], responses=COMMON_RESPONSES)

BookingId = Annotated[int, id_path("Booking id")]

Sort = Literal["starts_at", "-starts_at", "created_at", "-created_at"]

BOOKING_EXAMPLE = {
    "id": 42,
    "user_id": 7,
    "resource_id": 12,
    "starts_at": "2030-03-01T18:00:00Z",
    "ends_at": "2030-03-01T21:00:00Z",
    "status": "confirmed",
    "party_size": 2,
    "seats": 2,
    "event_id": 3,
    "created_at": "2030-02-20T10:00:00Z",
    "expires_at": None,
    "confirmed_at": "2030-02-20T10:05:00Z",
    "cancelled_at": None,
    "cancel_reason": None,
}

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
async def hold(body: HoldRequest, call: VerifiedCallDep) -> Response:
    booking = await hold_range(call.wiring.hold_deps(), call.user, body)
    answer = HoldRead(
        hold_id=booking.id,
        booking_id=booking.id,
        resource_id=booking.resource_id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        expires_at=booking.expires_at,  # type: ignore[arg-type]
    )
    # Written once, here: FastAPI would validate the model it was given again, then
    # serialise it and encode the result (response_model stays for the documentation).
    return model_response(answer, status_code=status.HTTP_201_CREATED)


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
    call: VerifiedCallDep,
    idempotency_key: Annotated[str | None, Header(description=IDEMPOTENCY_DOC)] = None,
) -> Response:
    deps = call.wiring.confirm_request_deps()
    outcome = await confirm_request(deps, call.user, body.hold_id, idempotency_key, render_booking)
    return created_or_replayed(outcome)


@router.post(
    "/{booking_id}/confirm",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingRead,
    summary="Confirm (pay for) your pending booking",
    description="The same confirmation as `POST /bookings/confirm {hold_id}`, addressed by "
    "the booking's id: any pending booking of yours, an event booking (R-36) included, "
    "becomes confirmed. A booking already confirmed is returned as is; one whose time ran "
    "out is 409 `hold_expired` (it is expired, its seats given back); a cancelled one is 409 "
    "`booking_not_pending`. Someone else's booking is 404. Limited to 10 a minute per user; "
    "the Idempotency-Key is shared with `POST /bookings/confirm` for the same booking.",
    responses={
        **problem_responses(400, 401, 403, 404, 409, 422, 429),
        201: {
            "description": "The booking, confirmed",
            "content": {"application/json": {"example": BOOKING_EXAMPLE}},
        },
    },
)
async def confirm_by_id(
    booking_id: BookingId,
    call: VerifiedCallDep,
    idempotency_key: Annotated[str | None, Header(description=IDEMPOTENCY_DOC)] = None,
) -> Response:
    deps = call.wiring.confirm_request_deps()
    outcome = await confirm_request(deps, call.user, booking_id, idempotency_key, render_booking)
    return created_or_replayed(outcome)


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
    call: SignedInCallDep,
    body: CancelRequest | None = None,
) -> Response:
    reason = body.reason if body else None
    booking = await cancel_booking(call.wiring.io, call.user, booking_id, reason)
    return json_response(render_booking(booking))


_CHANGE_EXAMPLES = {
    "later": {
        "summary": "Move to a later range",
        "value": {"starts_at": "2030-01-07T14:00:00+00:00", "ends_at": "2030-01-07T15:00:00+00:00"},
    },
    "bigger party": {
        "summary": "Move and change the party size",
        "value": {
            "starts_at": "2030-01-07T11:00:00+00:00",
            "ends_at": "2030-01-07T13:00:00+00:00",
            "party_size": 3,
        },
    },
}

_CHANGE_ERRORS = {
    **problem_responses(401, 403),
    **coded_problems(404, ("booking_not_found", "Booking not found", "Booking 7 does not exist")),
    **coded_problems(
        409,
        ("slots_unavailable", "Slots unavailable", "The range overlaps an active booking"),
        (
            "cancel_deadline_passed",
            "Cancellation deadline passed",
            "Bookings of this resource can be changed up to 60 minutes before start",
        ),
        ("booking_started", "Booking has already started", "Booking 7 has already started"),
        ("booking_ended", "Booking has ended", "Booking 7 has ended"),
        (
            "invalid_status_transition",
            "Status change not allowed",
            "Booking 7 is cancelled; only confirmed bookings can be changed",
        ),
        ("busy", "Resource busy, retry shortly", "Too much contention on this resource"),
    ),
    **coded_problems(
        422,
        ("invalid_range", "ends_at must be after starts_at", "ends_at must be after starts_at"),
        (
            "starts_in_past",
            "The range must start in the future",
            "The range must start in the future",
        ),
        (
            "not_aligned",
            "The range must start and end on slot boundaries",
            "Slots here start at 2030-01-07T10:00:00+00:00 and end at 2030-01-07T11:00:00+00:00",
        ),
        (
            "outside_opening_hours",
            "The range must lie within opening hours, without gaps",
            "Part of the range has no slots",
        ),
        (
            "too_many_slots",
            "The range spans more slots than the resource allows",
            "9 slots > max_hold_slots 8",
        ),
        (
            "party_too_large",
            "party_size exceeds the resource's capacity",
            "party_size 5 > capacity 4",
        ),
        ("validation_error", "Validation failed", "body.starts_at: Field required"),
    ),
}


@router.patch(
    "/{booking_id}",
    response_model=BookingRead,
    summary="Move a confirmed booking to another free range (owner or admin)",
    description="Same resource, same booking id. The new range follows the rules of a hold "
    "(future, on slot boundaries, within opening hours, at most `max_hold_slots`); "
    "`party_size` left out stays as it is. In one transaction the old slots are given back "
    "and the new ones booked: if any is taken, 409 `slots_unavailable` and the booking stays "
    "exactly as it was. Owners can change a booking until the resource's cancel deadline "
    "(409 `cancel_deadline_passed`); admins any time before it starts. Someone else's "
    "booking is 404. The owner is notified (mail and in-app).",
    responses=_CHANGE_ERRORS,
)
async def change(
    booking_id: BookingId,
    body: Annotated[ChangeRequest, Body(openapi_examples=_CHANGE_EXAMPLES)],
    user: VerifiedUser,
    deps: ChangeDepsDep,
) -> BookingRead:
    return BookingRead.model_validate(await change_booking(deps, user, booking_id, body))


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
    reads: ReadsDep,
    cache: CacheDep,
    filters: Annotated[BookingFilters, Query()],
    paging: PageParamsDep,
    sort: Sort = "-starts_at",
) -> Page[BookingRead]:
    filters = filters.model_copy(update={"user_id": user.id})

    async def page(session: AsyncSession) -> Page[BookingRead]:
        items, total = await service.list_bookings(
            session, filters, sort=sort, limit=paging.limit, offset=paging.offset
        )
        return paging.page([BookingRead.model_validate(b) for b in items], total)

    # From the replica once it shows the caller's last booking change (core.replica).
    generations = [cache.keys.user_bookings_generation(user.id)]
    return await reads.run_fenced(lambda: cache.fence(generations), page)


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
