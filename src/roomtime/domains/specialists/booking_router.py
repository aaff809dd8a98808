"""POST /bookings (R-35, one-step booking) and GET /bookings/specialists/me (R-34).

They live with specialists, as the resource slot routes live with resources: turning a
service into a range needs the specialists domain, which sits above bookings. The booking
itself is the bookings domain's one-step use case, which reuses hold and confirm.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Header, Query, Response

from roomtime.api.deps import SessionDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.core.pagination import Page, PageParamsDep
from roomtime.domains.auth.dependencies import VerifiedUser
from roomtime.domains.bookings.book_now import book_request
from roomtime.domains.bookings.dependencies import BookNowDepsDep
from roomtime.domains.bookings.responses import created_or_replayed
from roomtime.domains.bookings.schemas import (
    BookingFilters,
    BookingRead,
    HoldRequest,
    render_booking,
)
from roomtime.domains.specialists import service
from roomtime.domains.specialists.dependencies import MySpecialist
from roomtime.domains.specialists.schemas import BookingCreate

router = APIRouter(prefix="/bookings", tags=["bookings"], responses=COMMON_RESPONSES)

Sort = Literal["starts_at", "-starts_at", "created_at", "-created_at"]

IDEMPOTENCY_DOC = (
    "Optional. Retrying with the same key and body replays the first committed booking with "
    "`Idempotent-Replayed: true`; the same key with another body is 422 "
    "`idempotency_key_reused`; while the first request runs, 409 `idempotency_in_progress`. "
    "Keys are per user and kept 24 hours. 1–255 visible ASCII characters, bare or quoted."
)
BOOKED_EXAMPLE = {
    "id": 42,
    "user_id": 7,
    "resource_id": 6,
    "starts_at": "2030-01-08T10:00:00Z",
    "ends_at": "2030-01-08T11:30:00Z",
    "status": "confirmed",
    "party_size": 1,
    "created_at": "2030-01-05T18:02:11Z",
    "expires_at": None,
    "confirmed_at": "2030-01-05T18:02:11Z",
    "cancelled_at": None,
    "cancel_reason": None,
}
BookBody = Annotated[
    BookingCreate,
    Body(
        openapi_examples={
            "service": {
                "summary": "A specialist's service from a start",
                "value": {"service_id": 1, "starts_at": "2030-01-08T10:00:00+00:00"},
            },
            "range": {
                "summary": "A range of any resource",
                "value": {
                    "resource_id": 1,
                    "starts_at": "2030-01-08T10:00:00+01:00",
                    "ends_at": "2030-01-08T12:00:00+01:00",
                    "party_size": 2,
                },
            },
        }
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=BookingRead,
    summary="Book in one step (hold and confirm in one transaction)",
    description="`{service_id, starts_at}`: the service's duration decides the range on its "
    "specialist's calendar; or `{resource_id, starts_at, ends_at, party_size?}`. Answers the "
    "confirmed booking, or changes nothing. Same rules as hold then confirm: a taken range is "
    "409 `slots_unavailable`; a start off the slot grid 422 `not_aligned`; a range outside "
    "opening hours 422 `outside_opening_hours`; in the past 422 `starts_in_past`; an unknown "
    "service 404 `service_not_found`; a retired service 422 `service_inactive`; a specialist "
    "not taking bookings 422 `specialist_inactive`; a duration off the grid 422 "
    "`duration_not_on_grid`. Counts against the confirm limit (10 a minute per user, 429).",
    responses={
        201: {
            "description": "The confirmed booking",
            "content": {"application/json": {"example": BOOKED_EXAMPLE}},
        },
        **problem_responses(400, 401, 403, 404, 409, 422, 429),
    },
)
async def book(
    body: BookBody,
    user: VerifiedUser,
    deps: BookNowDepsDep,
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header(description=IDEMPOTENCY_DOC)] = None,
) -> Response:
    async def resolve() -> HoldRequest:
        if body.service_id is not None:
            return await service.booking_range(session, body.service_id, body.starts_at)
        return body.as_hold()

    outcome = await book_request(
        deps,
        user,
        resolve,
        body=body.model_dump(mode="json", exclude_none=True),
        raw_key=idempotency_key,
        render=render_booking,
    )
    return created_or_replayed(outcome)


@router.get(
    "/specialists/me",
    response_model=Page[BookingRead],
    summary="The bookings on your calendar (specialist)",
    description="Filters as /bookings/me: `status`, `date_from`/`date_to` (a date, the whole "
    "UTC day, or an offset-aware datetime), `limit`/`offset`, `sort`. Admins name the "
    "specialist with `specialist_id`.",
    responses=problem_responses(401, 403, 404, 422),
)
async def calendar_bookings(
    specialist: MySpecialist,
    session: SessionDep,
    filters: Annotated[BookingFilters, Query()],
    paging: PageParamsDep,
    sort: Sort = "-starts_at",
) -> Page[BookingRead]:
    items, total = await service.list_calendar_bookings(
        session, specialist, filters, sort=sort, limit=paging.limit, offset=paging.offset
    )
    return paging.page([BookingRead.model_validate(b) for b in items], total)
