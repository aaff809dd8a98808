"""A specialist's calendar over HTTP (R-34): hours, slots, blocking, and the starts where a
service fits. Changes go to the caller's own calendar only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from roomtime.api.cache import CacheDep
from roomtime.api.deps import ClockDep, SessionDep, SettingsDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.core.dates import IsoDay
from roomtime.core.ids import MAX_ID
from roomtime.domains.auth.dependencies import SpecialistUser
from roomtime.domains.slots.schemas import SlotDateRange, SlotsChanged, SlotsCreated, SlotTimeRange
from roomtime.domains.specialists import service
from roomtime.domains.specialists.dependencies import MySpecialist, VisibleSpecialist
from roomtime.domains.specialists.models import Specialist
from roomtime.domains.specialists.schemas import HoursUpdate, SpecialistRead, SpecialistSlots
from roomtime.settings import Settings

router = APIRouter(prefix="/specialists", tags=["specialists"], responses=COMMON_RESPONSES)

DayQuery = Annotated[
    IsoDay,
    Query(
        alias="date",
        description="A local calendar day of the specialist, YYYY-MM-DD",
        examples=["2030-01-08"],
    ),
]
ServiceQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_ID,
        description="The service to fit; without it, single slots are listed",
        examples=[1],
    ),
]
RangeBody = Annotated[
    SlotTimeRange,
    Body(
        openapi_examples={
            "lunch": {
                "summary": "A lunch break, in the specialist's local offset",
                "value": {
                    "starts_at": "2030-01-08T12:00:00+01:00",
                    "ends_at": "2030-01-08T13:00:00+01:00",
                },
            }
        }
    ),
]
DaysBody = Annotated[
    SlotDateRange,
    Body(
        openapi_examples={
            "week": {
                "summary": "One week of local days",
                "value": {"date_from": "2030-01-07", "date_to": "2030-01-13"},
            }
        }
    ),
]
SLOTS_DOC = (
    "The starts on that local day where the service's whole duration is free: a 90-minute "
    "service on 30-minute slots needs three free slots in a row, so a slot taken in the "
    "middle removes every start whose range crosses it. `ends_at` = start + the duration. "
    "Slots that have started, and days outside the slot horizon, list nothing. A service of "
    "another specialist: 404 `service_not_found`; a retired one: 422 `service_inactive`."
)


async def _slots(
    specialist: Specialist,
    day: IsoDay,
    service_id: int | None,
    session: SessionDep,
    cache: CacheDep,
    settings: Settings,
    clock: ClockDep,
) -> SpecialistSlots:
    return await service.day_slots(
        session,
        cache,
        specialist,
        day=day,
        service_id=service_id,
        now=clock(),
        ttl_seconds=settings.booking.availability_cache_ttl_seconds,
    )


@router.put(
    "/me/hours",
    response_model=SpecialistRead,
    summary="Replace your opening hours (specialist)",
    description="Free future slots are regenerated from the new hours (as for a resource, "
    "R-20); held, booked and blocked slots are kept. 422 on overlapping or malformed hours.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def set_hours(
    body: HoursUpdate,
    specialist: MySpecialist,
    user: SpecialistUser,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
    clock: ClockDep,
) -> SpecialistRead:
    await service.set_hours(
        session,
        cache,
        specialist,
        body,
        actor_user_id=user.id,
        now=clock(),
        default_hold_ttl=settings.booking.hold_ttl_seconds,
        horizon_days=settings.booking.slot_horizon_days,
    )
    return await service.to_read(session, specialist)


@router.post(
    "/me/slots",
    status_code=201,
    response_model=SlotsCreated,
    summary="Generate your slots for a range of local days (specialist)",
    description="Creates the missing future slots of `date_from`..`date_to` from your "
    "opening hours; existing slots are kept, so it is idempotent.",
    responses=problem_responses(401, 403, 404, 422),
)
async def add_slots(
    body: DaysBody,
    specialist: MySpecialist,
    user: SpecialistUser,
    session: SessionDep,
    cache: CacheDep,
    clock: ClockDep,
) -> SlotsCreated:
    created = await service.add_slots(
        session, cache, specialist, body, actor_user_id=user.id, now=clock()
    )
    return SlotsCreated(created=created)


@router.get(
    "/me/slots",
    response_model=SpecialistSlots,
    summary="Free starts of your day (specialist)",
    description=SLOTS_DOC,
    responses=problem_responses(401, 403, 404, 422),
)
async def my_slots(
    specialist: MySpecialist,
    day: DayQuery,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    clock: ClockDep,
    service_id: ServiceQuery = None,
) -> SpecialistSlots:
    return await _slots(specialist, day, service_id, session, cache, settings, clock)


@router.post(
    "/me/slots/block",
    response_model=SlotsChanged,
    summary="Block your slots overlapping a time range (specialist)",
    description="If any of them is booked or held by a live hold, nothing changes: 409 "
    "`slots_booked`.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def block_slots(
    body: RangeBody,
    specialist: MySpecialist,
    user: SpecialistUser,
    session: SessionDep,
    cache: CacheDep,
    clock: ClockDep,
) -> SlotsChanged:
    changed = await service.block(
        session, cache, specialist, body, unblock=False, actor_user_id=user.id, now=clock()
    )
    return SlotsChanged(changed=changed)


@router.post(
    "/me/slots/unblock",
    response_model=SlotsChanged,
    summary="Unblock your slots overlapping a time range (specialist)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def unblock_slots(
    body: RangeBody,
    specialist: MySpecialist,
    user: SpecialistUser,
    session: SessionDep,
    cache: CacheDep,
    clock: ClockDep,
) -> SlotsChanged:
    changed = await service.block(
        session, cache, specialist, body, unblock=True, actor_user_id=user.id, now=clock()
    )
    return SlotsChanged(changed=changed)


@router.get(
    "/{specialist_id}/slots",
    response_model=SpecialistSlots,
    summary="Free starts of a specialist's day",
    description=SLOTS_DOC,
    responses=problem_responses(401, 404, 422),
)
async def specialist_slots(
    specialist: VisibleSpecialist,
    day: DayQuery,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    clock: ClockDep,
    service_id: ServiceQuery = None,
) -> SpecialistSlots:
    return await _slots(specialist, day, service_id, session, cache, settings, clock)
