"""HTTP routes of resources (SPEC §4): public reads, admin create/update/deactivate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from starlette.datastructures import State

from roomtime.api.cache import CacheDep, cache_headers, cached_response_doc
from roomtime.api.deps import ClockDep, SessionDep, SettingsDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.api.responses import model_response
from roomtime.core.pagination import Page, PageParams, PageParamsDep, Sort, sort_param
from roomtime.core.prepared import Reader
from roomtime.core.replica import Reads
from roomtime.domains.auth.dependencies import AdminUser, BearerDep, caller_session
from roomtime.domains.resources import service
from roomtime.domains.resources.constants import DEFAULT_SORT, SORT_FIELDS
from roomtime.domains.resources.dependencies import ResourceId, VisibleResource, is_admin
from roomtime.domains.resources.schemas import (
    ResourceCreate,
    ResourceListQuery,
    ResourceRead,
    ResourceUpdate,
)

router = APIRouter(prefix="/resources", tags=["resources"], responses=COMMON_RESPONSES)
SortDep = Annotated[Sort, Depends(sort_param(*SORT_FIELDS, default=DEFAULT_SORT))]

_EXAMPLES = {
    "room": {
        "summary": "A meeting room, weekdays 08:00–20:00 Berlin time",
        "value": {
            "name": "Meeting room Aurora",
            "location": "Berlin, 3rd floor",
            "capacity": 8,
            "timezone": "Europe/Berlin",
            "opening_hours": [
                {"weekday": d, "opens": "08:00", "closes": "20:00"} for d in range(5)
            ],
        },
    },
    "minimal": {
        "summary": "Only the required fields (every day 08:00–20:00 UTC, hourly)",
        "value": {"name": "Table 4", "location": "Trattoria Centrale", "capacity": 4},
    },
}
CreateBody = Annotated[ResourceCreate, Body(openapi_examples=_EXAMPLES)]
UpdateBody = Annotated[ResourceUpdate, Body(openapi_examples=_EXAMPLES)]


@router.get(
    "",
    response_model=Page[ResourceRead],
    summary="List resources",
    description="Active resources, filtered, sorted and paginated. The plain list (no filter) "
    "is cached briefly: `X-Cache: HIT|MISS` says which; filtered lists carry no `X-Cache`.",
    responses={
        **problem_responses(401, 403, 422),
        **cached_response_doc("Whether the plain list came from the cache (absent if filtered)"),
    },
)
async def list_resources(
    request: Request,
    query: Annotated[ResourceListQuery, Query()],
    page: PageParamsDep,
    sort: SortDep,
    credentials: BearerDep,
) -> Response:
    # The session, the caller, the cache and the clock taken here, not as dependencies
    # (auth.dependencies.caller_session says why).
    async with caller_session(request, credentials) as (session, user):
        return await listing_response(
            request.app.state,
            session,
            query,
            page,
            sort,
            viewer_id=user.id if user else None,
            viewer_is_admin=is_admin(user),
        )


async def listing_response(
    state: State,
    session: Reader,
    query: ResourceListQuery,
    page: PageParams,
    sort: Sort,
    *,
    viewer_id: int | None,
    viewer_is_admin: bool,
) -> Response:
    """The answer of GET /resources, for the route and for the read front."""
    result = await service.list_resources(
        Reads(session, state.infra.replica),
        state.infra.cache,
        query,
        page,
        sort,
        viewer_id=viewer_id,
        viewer_is_admin=viewer_is_admin,
        now=state.clock(),
    )
    return model_response(result.value, headers=cache_headers(result))


@router.get(
    "/{resource_id}",
    response_model=ResourceRead,
    summary="Get a resource",
    responses=problem_responses(401, 404, 422),
)
async def get_resource(resource: VisibleResource) -> Response:
    return model_response(resource)


@router.post(
    "",
    status_code=201,
    response_model=ResourceRead,
    summary="Create a resource and its slots for the horizon (admin)",
    responses=problem_responses(401, 403, 422),
)
async def create_resource(
    body: CreateBody,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
    clock: ClockDep,
) -> ResourceRead:
    resource = await service.create_resource(
        session,
        body,
        actor_user_id=admin.id,
        now=clock(),
        default_hold_ttl=settings.booking.hold_ttl_seconds,
        horizon_days=settings.booking.slot_horizon_days,
        cache=cache,
    )
    return service.to_read(resource)


@router.put(
    "/{resource_id}",
    response_model=ResourceRead,
    summary="Replace a resource's editable fields (admin)",
    description="Replaces the fields the body names; fields left out keep their values, so "
    "either the changed fields or the whole representation read back (read-only fields "
    "ignored) may be sent. A new calendar (opening hours, slot length, time zone) "
    "regenerates the future slots that are still free; held, booked and blocked slots are "
    "kept.",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_resource(
    resource_id: ResourceId,
    body: UpdateBody,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
    clock: ClockDep,
) -> ResourceRead:
    resource = await service.update_resource(
        session,
        resource_id,
        body,
        actor_user_id=admin.id,
        now=clock(),
        default_hold_ttl=settings.booking.hold_ttl_seconds,
        horizon_days=settings.booking.slot_horizon_days,
        cache=cache,
    )
    return service.to_read(resource)


@router.delete(
    "/{resource_id}",
    status_code=204,
    response_class=Response,
    summary="Deactivate a resource (admin)",
    description="Sets `is_active=false`: hidden from users and search, bookings stay. Idempotent.",
    responses=problem_responses(401, 403, 404, 422),
)
async def deactivate_resource(
    resource_id: ResourceId,
    admin: AdminUser,
    session: SessionDep,
    cache: CacheDep,
    clock: ClockDep,
) -> Response:
    await service.deactivate_resource(
        session, resource_id, actor_user_id=admin.id, now=clock(), cache=cache
    )
    return Response(status_code=204)
