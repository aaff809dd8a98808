"""FastAPI dependencies of the resources domain: the resource id and the visible resource."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from roomtime.core.ids import id_path
from roomtime.domains.auth.dependencies import BearerDep, caller_session
from roomtime.domains.resources import service
from roomtime.domains.resources.schemas import ResourceRead
from roomtime.domains.users.constants import ROLE_ADMIN

# Ids are bigint: a larger number could never match and would fail in the driver instead.
ResourceId = Annotated[int, id_path("Resource id")]


def is_admin(user: object | None) -> bool:
    return getattr(user, "role", None) == ROLE_ADMIN


async def visible_resource(
    request: Request, resource_id: ResourceId, credentials: BearerDep
) -> ResourceRead:
    """The resource as read, or 404; a deactivated one is visible to admins only."""
    async with caller_session(request, credentials) as (session, user):
        return await service.read_resource(session, resource_id, include_inactive=is_admin(user))


VisibleResource = Annotated[ResourceRead, Depends(visible_resource)]
