"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.routing import BaseRoute

from roomtime import __version__
from roomtime.api.body_limit import BodyLimitMiddleware
from roomtime.api.metrics import HttpMetrics, MetricsAccess
from roomtime.api.middleware import RequestContextMiddleware
from roomtime.api.problems import install_problem_handlers
from roomtime.api.router import install_api_routes
from roomtime.core.clock import Clock, utcnow
from roomtime.core.logging import configure_logging
from roomtime.domains.events.router import IMAGE_PATH as EVENT_IMAGE_PATH
from roomtime.domains.files.router import UPLOAD_PATH
from roomtime.domains.resources.availability_front import AVAILABILITY_PATH, AvailabilityFront
from roomtime.domains.resources.resource_front import (
    LISTING_PATH,
    RESOURCE_PATH,
    ResourceReadFront,
)
from roomtime.infrastructure import open_infrastructure
from roomtime.settings import Settings, get_settings
from roomtime.web import STREAMED_ROUTES as UI_STREAMED_ROUTES
from roomtime.web import install_web_ui

DESCRIPTION = """
Reserve time on shared resources (rooms, tables, a specialist's hours, event seats) with no
double booking, ever. Errors are RFC 9457 problem documents (`application/problem+json`)
with a stable `code` and the `request_id` to quote when reporting them.
"""


def _telemetry(enabled: bool) -> TelemetryConfig | None:
    # None keeps FastAPI's defaults: instrumentation on whenever an OTel SDK is installed.
    return None if enabled else {"tracing": False, "metrics": False, "logs": False}


def create_app(
    settings: Settings | None = None, *, clock: Clock = utcnow, freeze_gc: bool = False
) -> FastAPI:
    """The API. `freeze_gc` is for the served process (`app_from_env`): after startup, its
    objects are moved out of the garbage collector's view. Tests create many apps in one
    process and leave it off (frozen objects are never collected)."""
    settings = settings or get_settings()
    configure_logging(
        settings.app.log_level, settings.app.log_format, secrets=settings.secret_values()
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_infrastructure(settings, clock) as infra:
            app.state.infra = infra
            if freeze_gc:
                # Everything built at startup (the routes, their models, the schema, the
                # pools) lives as long as the process. Frozen, the garbage collector's full
                # collections no longer walk it on every run: they had been stalling requests
                # for a tenth to a fifth of a second at the 99th percentile under load
                # (docs/performance.md, round 5).
                gc.freeze()
            yield

    app = FastAPI(
        title="RoomTime",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True},
        # Served by the web package from vendored assets instead of a CDN.
        docs_url=None,
        redoc_url=None,
        telemetry=_telemetry(settings.app.otel_enabled),
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.metrics = HttpMetrics()
    app.state.metrics_access = MetricsAccess(
        settings.app.metrics_allow_networks, settings.app.metrics_token
    )
    install_problem_handlers(app)
    install_api_routes(app)
    install_web_ui(app)
    # Innermost: the hot reads are answered inside the body cap and the request context.
    app.add_middleware(
        ResourceReadFront,
        resource_route=_route(app, RESOURCE_PATH, "GET"),
        listing_route=_route(app, LISTING_PATH, "GET"),
    )
    app.add_middleware(AvailabilityFront, route=_route(app, AVAILABILITY_PATH, "GET"))
    # Added first, so it runs inside the request context: its 413 has the request id.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.app.max_json_body_bytes,
        streamed_routes=[("POST", UPLOAD_PATH), ("POST", EVENT_IMAGE_PATH), *UI_STREAMED_ROUTES],
    )
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    return app


def _route(app: FastAPI, path: str, method: str) -> BaseRoute:
    return next(
        r
        for r in app.router.routes
        if getattr(r, "path", None) == path and method in (getattr(r, "methods", None) or ())
    )


def app_from_env() -> FastAPI:
    """Entry point for `uvicorn --factory roomtime.main:app_from_env`."""
    return create_app(freeze_gc=True)
