"""Mounts the domain routers at the paths of SPEC §4."""

from __future__ import annotations

from fastapi import APIRouter

from roomtime.api import health
from roomtime.api.problems import problem_responses
from roomtime.domains.audit import router as audit_router
from roomtime.domains.auth import router as auth_router
from roomtime.domains.bookings import router as bookings_router
from roomtime.domains.events import router as events_router
from roomtime.domains.files import router as files_router
from roomtime.domains.notifications import router as notifications_router
from roomtime.domains.reports import router as reports_router
from roomtime.domains.resources import availability_router, slots_router
from roomtime.domains.resources import router as resources_router
from roomtime.domains.specialists import booking_router as specialist_bookings_router
from roomtime.domains.specialists import calendar_router as specialist_calendar_router
from roomtime.domains.specialists import router as specialists_router
from roomtime.domains.users import router as users_router

# Any request can be malformed (400: a body that is not even text), too large (413: over
# MAX_JSON_BODY_BYTES), invalid (422) or meet an unexpected failure (500): documented once,
# for every route, as problem documents.
api_router = APIRouter(responses=problem_responses(400, 413, 422, 500))
api_router.include_router(health.router)
api_router.include_router(auth_router.router)
api_router.include_router(users_router.router)
api_router.include_router(resources_router.router)
api_router.include_router(availability_router.router)
api_router.include_router(slots_router.router)
api_router.include_router(bookings_router.router)
api_router.include_router(events_router.router)
api_router.include_router(specialists_router.router)
api_router.include_router(specialist_calendar_router.router)
api_router.include_router(specialist_bookings_router.router)
api_router.include_router(audit_router.router)
api_router.include_router(files_router.router)
api_router.include_router(reports_router.router)
api_router.include_router(notifications_router.router)
