"""HTTP routes for admins to manage a resource's slots (R-20).

They live with resources, not slots: the commands need the resource (its time zone and
opening hours), audit and cache invalidation, which the resources service orchestrates on
top of the slots service. So slots never imports resources.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from roomtime.api.cache import CacheDep
from roomtime.api.deps import ClockDep, SessionDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.domains.auth.dependencies import AdminUser
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.dependencies import ResourceId
from roomtime.domains.slots.schemas import SlotDateRange, SlotsChanged, SlotsCreated, SlotTimeRange

router = APIRouter(
    prefix="/resources/{resource_id}/slots", tags=["slots"], responses=COMMON_RESPONSES
)

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
RangeBody = Annotated[
    SlotTimeRange,
    Body(
        openapi_examples={
            "lunch": {
                "summary": "Two hours, written in the resource's local offset",
                "value": {
                    "starts_at": "2030-01-08T12:00:00+01:00",
                    "ends_at": "2030-01-08T14:00:00+01:00",
                },
            }
        }
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=SlotsCreated,
    summary="Generate slots for a range of local days (admin)",
    description="Creates the missing future slots of the days `date_from`..`date_to` "
    "(inclusive, the resource's time zone, at most 366 days) from its opening hours. "
    "Existing slots are kept; idempotent.",
    responses=problem_responses(401, 403, 404, 422),
)
async def add_slots(
    resource_id: ResourceId,
    body: DaysBody,
    admin: AdminUser,
    session: SessionDep,
    cache: CacheDep,
    clock: ClockDep,
) -> SlotsCreated:
    created = await resources_service.add_slots(
        session, cache, resource_id, body, actor_user_id=admin.id, now=clock()
    )
    return SlotsCreated(created=created)


@router.post(
    "/block",
    response_model=SlotsChanged,
    summary="Block the slots overlapping a time range (admin)",
    description="Every slot overlapping [`starts_at`, `ends_at`) stops being available. "
    "If any of them is booked or held by a live hold, nothing changes: 409 `slots_booked` "
    "with their `slot_ids`.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def block_slots(
    resource_id: ResourceId,
    body: RangeBody,
    admin: AdminUser,
    session: SessionDep,
    cache: CacheDep,
    clock: ClockDep,
) -> SlotsChanged:
    changed = await resources_service.block_slots(
        session, cache, resource_id, body, actor_user_id=admin.id, now=clock()
    )
    return SlotsChanged(changed=changed)


@router.post(
    "/unblock",
    response_model=SlotsChanged,
    summary="Unblock the slots overlapping a time range (admin)",
    description="Blocked slots overlapping [`starts_at`, `ends_at`) become available again.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def unblock_slots(
    resource_id: ResourceId,
    body: RangeBody,
    admin: AdminUser,
    session: SessionDep,
    cache: CacheDep,
    clock: ClockDep,
) -> SlotsChanged:
    changed = await resources_service.unblock_slots(
        session, cache, resource_id, body, actor_user_id=admin.id, now=clock()
    )
    return SlotsChanged(changed=changed)
