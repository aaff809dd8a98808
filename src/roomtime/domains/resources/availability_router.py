"""GET /resources/{id}/availability (R-22).

The route lives with resources (it needs the visible resource); the answer comes from the
availability service, so availability never imports resources.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from roomtime.api.cache import cached_response_doc
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.core.dates import IsoDay
from roomtime.domains.auth.dependencies import BearerDep, caller_session
from roomtime.domains.availability import service as availability_service
from roomtime.domains.availability.schemas import AvailabilityRead
from roomtime.domains.resources.availability_front import AVAILABILITY_PATH
from roomtime.domains.resources.availability_read import read_missed_day
from roomtime.domains.resources.dependencies import ResourceId, is_admin

router = APIRouter(tags=["availability"], responses=COMMON_RESPONSES)

DayQuery = Annotated[
    IsoDay,
    Query(
        alias="date",
        description="A local calendar day of the resource, YYYY-MM-DD",
        examples=["2030-01-08"],
    ),
]


@router.get(
    AVAILABILITY_PATH,
    response_model=AvailabilityRead,
    summary="Available slots of one local day",
    description="The slots of the resource's local day that can be held now (expired holds "
    "count as free, slots that have started do not). Cached for up to a minute and refreshed "
    "as soon as a slot of that day changes; `X-Cache: HIT|MISS` says which. Days outside the "
    "slot horizon answer an empty list.",
    responses={
        **problem_responses(401, 404, 422),
        **cached_response_doc("Whether the answer came from the cache"),
    },
)
async def get_availability(
    request: Request,
    resource_id: ResourceId,
    day: DayQuery,
    credentials: BearerDep,
) -> Response:
    # Anonymous requests of the canonical shape are answered before routing
    # (availability_front); this route answers the rest the same way. An anonymous hit is
    # served from Redis as stored (one round trip, no PostgreSQL session, no re-validation).
    # A caller with a token is still checked (an invalid token is 401 whatever the cache
    # holds), and only then may see a deactivated resource's cached day (admins).
    cache = request.app.state.infra.cache  # not a dependency: each one is solved per request
    cached = await availability_service.lookup_day(cache, resource_id, day)
    if cached.hit and cached.resource_active and credentials is None:
        return _json(cached.body, "HIT")
    async with caller_session(request, credentials) as (session, user):
        if cached.hit and (cached.resource_active or is_admin(user)):
            return _json(cached.body, "HIT")
        body = await read_missed_day(
            request.app.state, session, cached, resource_id, day, include_inactive=is_admin(user)
        )
    return _json(body, "MISS")


def _json(body: bytes, cache_state: str) -> Response:
    return Response(body, media_type="application/json", headers={"X-Cache": cache_state})
