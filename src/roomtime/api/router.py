"""Mounts the domain routers at the paths of SPEC §4."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from roomtime.api import health
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

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth_router.router,
    users_router.router,
    resources_router.router,
    availability_router.router,
    slots_router.router,
    bookings_router.router,
    events_router.router,
    specialists_router.router,
    specialist_calendar_router.router,
    specialist_bookings_router.router,
    audit_router.router,
    files_router.router,
    reports_router.router,
    notifications_router.router,
)


def install_api_routes(app: FastAPI) -> None:
    """Every API route straight on the app's own router. `include_router` would wrap each
    router, and FastAPI analyses an included route again for every app on its first match
    (about half a second for ~150 routes: paid by each process's first requests, and by every
    test that builds an app); the routes declared in the domain modules were analysed once,
    at import, and their routers already carry the common problem responses."""
    for router in ROUTERS:
        app.router.routes.extend(router.routes)
