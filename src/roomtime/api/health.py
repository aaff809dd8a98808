"""Liveness, readiness (naming the dependency that is down) and Prometheus metrics."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from roomtime.api.deps import ClientIpDep, InfraDep
from roomtime.api.problems import COMMON_RESPONSES, problem_response, problem_responses
from roomtime.core import metrics as process_metrics
from roomtime.core.errors import ForbiddenError, NotFoundError
from roomtime.core.redis.client import ping
from roomtime.infrastructure import Infrastructure

log = structlog.get_logger(__name__)
router = APIRouter(tags=["operations"], responses=COMMON_RESPONSES)

_CHECK_TIMEOUT_SECONDS = 2.0


class HealthRead(BaseModel):
    status: str
    checks: dict[str, str]


async def _database_ok(infra: Infrastructure) -> bool:
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT_SECONDS):
            async with infra.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        log.warning("readiness_database_down", error=type(exc).__name__)
        return False
    return True


async def _redis_ok(infra: Infrastructure) -> bool:
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT_SECONDS):
            return await ping(infra.redis)
    except TimeoutError:
        return False


@router.get("/health/live", response_model=HealthRead, summary="Liveness: the process answers")
async def live() -> HealthRead:
    return HealthRead(status="ok", checks={})


@router.get(
    "/health/ready",
    response_model=HealthRead,
    summary="Readiness: PostgreSQL and Redis answer",
    responses=problem_responses(503),
)
async def ready(request: Request, infra: InfraDep) -> HealthRead | JSONResponse:
    db_ok, redis_ok = await asyncio.gather(_database_ok(infra), _redis_ok(infra))
    checks = {"database": "ok" if db_ok else "down", "redis": "ok" if redis_ok else "down"}
    down = [name for name, state in checks.items() if state == "down"]
    if down:
        return problem_response(
            request,
            status=503,
            code="dependency_unavailable",
            title="Service Unavailable",
            detail=f"unavailable: {', '.join(down)}",
            checks=checks,
            failing=down,
        )
    return HealthRead(status="ok", checks=checks)


async def _metrics_access(request: Request, ip: ClientIpDep) -> None:
    if not request.app.state.settings.app.metrics_enabled:
        raise NotFoundError("Metrics are disabled")
    if not request.app.state.metrics_access.permits(ip, request.headers.get("authorization")):
        raise ForbiddenError(
            "Metrics are restricted: scrape from an allowed address or with the token"
        )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Prometheus text format. Open to anyone unless `METRICS_ALLOW` (client "
    "addresses or networks) or `METRICS_TOKEN` (`Authorization: Bearer <token>`) is set; then "
    "a scrape matching neither is 403. `METRICS_ENABLED=false`: 404.",
    response_class=Response,
    dependencies=[Depends(_metrics_access)],
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **problem_responses(403, 404),
    },
)
async def metrics(request: Request, infra: InfraDep) -> Response:
    # Checked per scrape, so the Redis-down alert needs no exporter of its own.
    db_ok, redis_ok = await asyncio.gather(_database_ok(infra), _redis_ok(infra))
    process_metrics.dependency_state("database", db_ok)
    process_metrics.dependency_state("redis", redis_ok)
    body = process_metrics.exposition(request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
