"""FastAPI dependencies of the specialists domain: the specialist a path names, and the one
a `/specialists/me/...` request acts on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from roomtime.api.deps import SessionDep
from roomtime.core.ids import MAX_ID, id_path
from roomtime.domains.auth.dependencies import OptionalUser, SpecialistUser
from roomtime.domains.specialists import service
from roomtime.domains.specialists.models import Specialist
from roomtime.domains.users.constants import ROLE_ADMIN

SpecialistId = Annotated[int, id_path("Specialist id")]
ActFor = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_ID,
        description="Admins only: the specialist to act for (a specialist acts on their own "
        "calendar; naming another one is 404)",
    ),
]


async def visible_specialist(
    specialist_id: SpecialistId, session: SessionDep, user: OptionalUser
) -> Specialist:
    """The specialist, or 404; one whose calendar is deactivated is visible to admins only."""
    admin = user is not None and user.role == ROLE_ADMIN
    return await service.get_specialist(session, specialist_id, include_inactive=admin)


async def my_specialist(
    user: SpecialistUser, session: SessionDep, specialist_id: ActFor = None
) -> Specialist:
    return await service.acting_specialist(session, user.id, user.role, specialist_id)


VisibleSpecialist = Annotated[Specialist, Depends(visible_specialist)]
MySpecialist = Annotated[Specialist, Depends(my_specialist)]
