"""/specialists: who they are and what they offer (R-34). Calendar routes: calendar_router."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from roomtime.api.cache import CacheDep
from roomtime.api.deps import ClockDep, SessionDep, SettingsDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.core.ids import id_path
from roomtime.core.pagination import Page, PageParamsDep
from roomtime.domains.auth.dependencies import AdminUser, OptionalUser, SpecialistUser
from roomtime.domains.specialists import service
from roomtime.domains.specialists.dependencies import MySpecialist, VisibleSpecialist
from roomtime.domains.specialists.schemas import (
    Name,
    ServiceCreate,
    ServiceRead,
    ServiceUpdate,
    SpecialistCreate,
    SpecialistRead,
)
from roomtime.domains.users.constants import ROLE_ADMIN

router = APIRouter(prefix="/specialists", tags=["specialists"], responses=COMMON_RESPONSES)

ServiceId = Annotated[int, id_path("Service id")]

CreateBody = Annotated[
    SpecialistCreate,
    Body(
        openapi_examples={
            "weekdays": {
                "summary": "Half-hour slots, weekdays 09:00–17:00 Lisbon time",
                "value": {
                    "user_id": 2,
                    "display_name": "Dr. Ana Lima",
                    "timezone": "Europe/Lisbon",
                    "slot_minutes": 30,
                    "opening_hours": [
                        {"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(5)
                    ],
                },
            },
            "minimal": {
                "summary": "Defaults: UTC, 30-minute slots, every day 08:00–20:00",
                "value": {"user_id": 2, "display_name": "Sam the barber", "timezone": "UTC"},
            },
        }
    ),
]
ServiceBody = Annotated[
    ServiceCreate,
    Body(
        openapi_examples={
            "own": {
                "summary": "A specialist adds a service to their own calendar",
                "value": {"name": "Haircut and beard", "duration_minutes": 90, "price_cents": 4500},
            },
            "by_admin": {
                "summary": "An admin adds one for a specialist",
                "value": {"name": "Consultation", "duration_minutes": 30, "specialist_id": 1},
            },
        }
    ),
]
ServicePatch = Annotated[
    ServiceUpdate,
    Body(
        openapi_examples={
            "price": {"summary": "New price", "value": {"price_cents": 5000}},
            "retire": {"summary": "Stop offering it", "value": {"is_active": False}},
        }
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=SpecialistRead,
    summary="Make a user a specialist (admin)",
    description="Creates the specialist's calendar (an exclusive resource with its slots for "
    "the horizon) and gives the user the role `specialist` (an admin keeps theirs), in one "
    "transaction. 404 `user_not_found`, 409 `already_specialist`, 422 `user_inactive` or "
    "`validation_error` (unknown time zone, slot length not dividing a day, overlapping hours).",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_specialist(
    body: CreateBody,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
    clock: ClockDep,
) -> SpecialistRead:
    specialist = await service.create_specialist(
        session,
        body,
        actor_user_id=admin.id,
        now=clock(),
        default_hold_ttl=settings.booking.hold_ttl_seconds,
        horizon_days=settings.booking.slot_horizon_days,
        cache=cache,
    )
    return await service.to_read(session, specialist)


@router.get(
    "",
    response_model=Page[SpecialistRead],
    summary="List specialists",
    description="By name. Specialists whose calendar is deactivated are listed to admins only "
    "(`include_inactive=true`).",
    responses=problem_responses(401, 422),
)
async def list_specialists(
    session: SessionDep,
    paging: PageParamsDep,
    user: OptionalUser,
    q: Name | None = None,
    include_inactive: bool = False,
) -> Page[SpecialistRead]:
    admin = user is not None and user.role == ROLE_ADMIN
    items, total = await service.list_specialists(
        session,
        q=q,
        include_inactive=include_inactive and admin,
        limit=paging.limit,
        offset=paging.offset,
    )
    return paging.page(items, total)


@router.get(
    "/me",
    response_model=SpecialistRead,
    summary="Your specialist profile (specialist)",
    description="Admins name the specialist with `specialist_id`.",
    responses=problem_responses(401, 403, 404, 422),
)
async def my_profile(specialist: MySpecialist, session: SessionDep) -> SpecialistRead:
    return await service.to_read(session, specialist)


@router.post(
    "/me/services",
    status_code=201,
    response_model=ServiceRead,
    summary="Add a service (specialist, or admin with specialist_id)",
    description="`duration_minutes` must be a whole number of the calendar's slots (422 "
    "`duration_not_on_grid`). A specialist naming another specialist: 404 "
    "`specialist_not_found`; an admin naming none: 422 `specialist_id_required`.",
    responses=problem_responses(401, 403, 404, 422),
)
async def add_service(
    body: ServiceBody, user: SpecialistUser, session: SessionDep, clock: ClockDep
) -> ServiceRead:
    specialist = await service.acting_specialist(session, user.id, user.role, body.specialist_id)
    created = await service.add_service(
        session, specialist, body, actor_user_id=user.id, now=clock()
    )
    return ServiceRead.model_validate(created)


@router.get(
    "/me/services",
    response_model=Page[ServiceRead],
    summary="Your services, retired ones too (specialist)",
    responses=problem_responses(401, 403, 404, 422),
)
async def my_services(
    specialist: MySpecialist, session: SessionDep, paging: PageParamsDep
) -> Page[ServiceRead]:
    items, total = await service.list_services(
        session, specialist, include_inactive=True, limit=paging.limit, offset=paging.offset
    )
    return paging.page([ServiceRead.model_validate(s) for s in items], total)


@router.patch(
    "/me/services/{service_id}",
    response_model=ServiceRead,
    summary="Change one of your services (specialist)",
    description="Only the fields sent change. Another specialist's service: 404 "
    "`service_not_found`. A duration off the slot grid: 422 `duration_not_on_grid`.",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_service(
    service_id: ServiceId,
    body: ServicePatch,
    specialist: MySpecialist,
    user: SpecialistUser,
    session: SessionDep,
    clock: ClockDep,
) -> ServiceRead:
    updated = await service.update_service(
        session, specialist, service_id, body, actor_user_id=user.id, now=clock()
    )
    return ServiceRead.model_validate(updated)


@router.get(
    "/{specialist_id}",
    response_model=SpecialistRead,
    summary="Get a specialist",
    responses=problem_responses(401, 404, 422),
)
async def get_specialist(specialist: VisibleSpecialist, session: SessionDep) -> SpecialistRead:
    return await service.to_read(session, specialist)


@router.get(
    "/{specialist_id}/services",
    response_model=Page[ServiceRead],
    summary="A specialist's services on offer",
    responses=problem_responses(401, 404, 422),
)
async def specialist_services(
    specialist: VisibleSpecialist, session: SessionDep, paging: PageParamsDep
) -> Page[ServiceRead]:
    items, total = await service.list_services(
        session, specialist, include_inactive=False, limit=paging.limit, offset=paging.offset
    )
    return paging.page([ServiceRead.model_validate(s) for s in items], total)
