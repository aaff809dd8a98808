"""/events (R-36): listing and reading for anyone; create, change, cancel and participants
for admins; booking seats for signed-in users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status

from roomtime.api.deps import ClientIpDep, ClockDep, SessionDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.core.dates import DayOrInstant
from roomtime.core.ids import id_path
from roomtime.core.pagination import Page, PageParamsDep
from roomtime.domains.auth.dependencies import AdminUser, VerifiedUser
from roomtime.domains.bookings.dependencies import BookingIODep, HoldDepsDep
from roomtime.domains.bookings.schemas import BookingRead
from roomtime.domains.events import service
from roomtime.domains.events.schemas import (
    CREATE_EXAMPLE,
    BookRequest,
    EventCancel,
    EventCreate,
    EventRead,
    EventUpdate,
    ParticipantRead,
    SearchText,
)
from roomtime.domains.files import service as files_service
from roomtime.domains.files.dependencies import (
    StorageDep,
    UploadPolicyDep,
    refuse_oversized_body,
)
from roomtime.domains.files.schemas import FileRead, file_url

router = APIRouter(prefix="/events", tags=["events"], responses=COMMON_RESPONSES)

# Streams its multipart body under MAX_UPLOAD_BYTES, exempt from the JSON body cap.
IMAGE_PATH = "/events/{event_id}/image"
_IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}

EventId = Annotated[int, id_path("Event id")]

_CREATE_EXAMPLES = {
    "limited": {"summary": "50 seats, 15 minutes to pay", "value": CREATE_EXAMPLE},
    "unlimited": {
        "summary": "No seat limit (a free meetup)",
        "value": {
            "name": "Python meetup",
            "starts_at": "2030-04-02T18:30:00+02:00",
            "ends_at": "2030-04-02T21:00:00+02:00",
            "total_seats": None,
            "booking_ttl_minutes": 60,
        },
    },
}
_PENDING_BOOKING = {
    "id": 42,
    "user_id": 7,
    "resource_id": 12,
    "event_id": 3,
    "starts_at": "2030-03-01T08:00:00Z",
    "ends_at": "2030-03-01T17:00:00Z",
    "status": "pending",
    "party_size": 2,
    "seats": 2,
    "created_at": "2030-02-20T10:00:00Z",
    "expires_at": "2030-02-20T10:15:00Z",
    "confirmed_at": None,
    "cancelled_at": None,
    "cancel_reason": None,
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EventRead,
    summary="Create an event (admin)",
    description="`total_seats: null` means no seat limit. `booking_ttl_minutes` (1–1440) is "
    "how long a booking may stay pending (unpaid) before it expires and its seats return. "
    "Times need an offset; the event must start in the future (422 `starts_in_past`) and "
    "last at most 31 days.",
    responses=problem_responses(401, 403, 422),
)
async def create_event(
    body: Annotated[EventCreate, Body(openapi_examples=_CREATE_EXAMPLES)],
    admin: AdminUser,
    session: SessionDep,
    clock: ClockDep,
) -> EventRead:
    return await service.create_event(session, body, actor_user_id=admin.id, now=clock())


@router.get(
    "",
    response_model=Page[EventRead],
    summary="List events, upcoming first",
    description="Events not yet over come first, soonest first; past ones follow, latest "
    "first. `from`/`to` take a date (the whole UTC day) or an offset-aware datetime and keep "
    "the events overlapping [from, to]; `q` searches name, descriptions and location.",
    responses=problem_responses(422),
)
async def list_events(
    session: SessionDep,
    clock: ClockDep,
    paging: PageParamsDep,
    starts_from: Annotated[DayOrInstant | None, Query(alias="from")] = None,
    starts_to: Annotated[DayOrInstant | None, Query(alias="to")] = None,
    q: Annotated[SearchText | None, Query(description="Text to search")] = None,
) -> Page[EventRead]:
    return await service.list_events(
        session, starts_from=starts_from, starts_to=starts_to, q=q, page=paging, now=clock()
    )


@router.get(
    "/{event_id}",
    response_model=EventRead,
    summary="An event, with the seats left now",
    description="`available_seats` counts every confirmed booking and every pending one that "
    "has not run out; null when the event has no seat limit.",
    responses=problem_responses(404),
)
async def get_event(event_id: EventId, session: SessionDep, clock: ClockDep) -> EventRead:
    return await service.read_event(session, event_id, clock())


@router.patch(
    "/{event_id}",
    response_model=EventRead,
    summary="Change an event (admin)",
    description="Only the fields sent change. Lowering `total_seats` below the seats booked "
    "or held: 409 `seats_below_booked`; moving the time of an event with live bookings: 409 "
    "`event_has_bookings`; a cancelled event: 409 `event_cancelled`.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_event(
    event_id: EventId, body: EventUpdate, admin: AdminUser, io: BookingIODep
) -> EventRead:
    return await service.update_event(io, event_id, body, actor_user_id=admin.id)


@router.post(
    "/{event_id}/book",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingRead,
    summary="Book seats (a pending booking to confirm before it expires)",
    description="Creates a pending booking whose `expires_at` is now + the event's "
    "`booking_ttl_minutes`; confirm it with `POST /bookings/{id}/confirm` (the payment) or it "
    "expires, its seats return and you are told. One live booking per user and event (409 "
    "`already_booked`); not enough seats: 409 `sold_out`; a cancelled event: 409 "
    "`event_cancelled`; started: 409 `event_started`. `seats` above the event's total: 422 "
    "`too_many_seats`; `seats` other than 1 on an event without a seat limit: 422 "
    "`seats_not_allowed`. Hold limits apply (429 `rate_limited`, 409 `too_many_holds`).",
    responses={
        **problem_responses(401, 403, 404, 409, 422, 429),
        201: {
            "description": "The pending booking",
            "content": {"application/json": {"example": _PENDING_BOOKING}},
        },
    },
)
async def book_event(
    event_id: EventId,
    user: VerifiedUser,
    deps: HoldDepsDep,
    body: Annotated[
        BookRequest | None, Body(openapi_examples={"two": {"value": {"seats": 2}}})
    ] = None,
) -> BookingRead:
    booking = await service.book_event(deps, user, event_id, body.seats if body else None)
    return BookingRead.model_validate(booking)


@router.post(
    "/{event_id}/cancel",
    response_model=EventRead,
    summary="Cancel an event (admin)",
    description="The event and every live booking on it are cancelled in one transaction; "
    "each participant is told once (mail, and Telegram where they have it). Cancelling twice "
    "returns the cancelled event; an event that has ended: 409 `event_ended`.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def cancel_event(
    event_id: EventId, body: EventCancel, admin: AdminUser, io: BookingIODep
) -> EventRead:
    return await service.cancel_event(io, admin, event_id, body.reason)


@router.get(
    "/{event_id}/participants",
    response_model=Page[ParticipantRead],
    summary="Who booked the event (admin)",
    description="The live bookings (pending and not run out, or confirmed), oldest first.",
    responses=problem_responses(401, 403, 404, 422),
)
async def participants(
    event_id: EventId, _: AdminUser, session: SessionDep, clock: ClockDep, paging: PageParamsDep
) -> Page[ParticipantRead]:
    return await service.list_participants(session, event_id, paging, clock())


@router.post(
    "/{event_id}/image",
    status_code=status.HTTP_201_CREATED,
    response_model=FileRead,
    summary="Upload the event's image (admin)",
    description="The same upload as `POST /resources/{id}/file` (R-27): `multipart/form-data` "
    "with the file in the field `file`; PNG, JPEG, WEBP (or PDF), the type decided from the "
    "content alone (415 `unsupported_file_type` otherwise); at most `MAX_UPLOAD_BYTES` (413). "
    "The event's `image_url` then points at it, served publicly by `GET /files/{id}`.",
    dependencies=[Depends(refuse_oversized_body)],
    openapi_extra=_IMAGE_BODY,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
)
async def upload_image(
    event_id: EventId,
    request: Request,
    response: Response,
    admin: AdminUser,
    session: SessionDep,
    storage: StorageDep,
    policy: UploadPolicyDep,
    ip: ClientIpDep,
) -> FileRead:
    event = await service.get_event(session, event_id)
    upload = files_service.IncomingUpload(request.stream(), request.headers.get("content-type"))
    row = await files_service.upload_resource_file(
        session,
        storage,
        resource_id=event.resource_id,
        upload=upload,
        policy=policy,
        actor_user_id=admin.id,
        ip=ip,
    )
    response.headers["Location"] = file_url(row.id)
    return files_service.to_read(row)
