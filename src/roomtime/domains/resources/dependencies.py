"""FastAPI dependencies of the resources domain: the resource id and the visible resource."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from roomtime.api.deps import SessionDep
from roomtime.core.ids import id_path
from roomtime.domains.auth.dependencies import OptionalUser
from roomtime.domains.resources import service
from roomtime.domains.resources.schemas import ResourceRead
from roomtime.domains.users.constants import ROLE_ADMIN

# Ids are bigint: a larger number could never match and would fail in the driver instead.
ResourceId = Annotated[int, id_path("Resource id")]


def is_admin(user: object | None) -> bool:
    return getattr(user, "role", None) == ROLE_ADMIN


async def visible_resource(
    resource_id: ResourceId, session: SessionDep, user: OptionalUser
) -> ResourceRead:
    """The resource as read, or 404; a deactivated one is visible to admins only."""
    return await service.read_resource(session, resource_id, include_inactive=is_admin(user))


VisibleResource = Annotated[ResourceRead, Depends(visible_resource)]
