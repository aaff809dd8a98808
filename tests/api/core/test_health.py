"""Liveness, readiness naming the failing dependency, and Prometheus metrics."""

from __future__ import annotations

import httpx
import pytest

from roomtime.main import create_app
from roomtime.settings import RedisSettings, Settings
from tests.conftest import make_settings
from tests.services import ServiceUrls
from tests.support.processes import closed_port

pytestmark = pytest.mark.api


async def test_live_and_ready(app_client: httpx.AsyncClient) -> None:
    live = await app_client.get("/health/live")
    assert live.status_code == 200 and live.json()["status"] == "ok"
    ready = await app_client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


async def test_ready_is_503_naming_redis_when_redis_is_unreachable(
    services: ServiceUrls, tmp_path: object
) -> None:
    settings: Settings = make_settings(
        services,
        tmp_path,  # type: ignore[arg-type]
        redis=RedisSettings(redis_url=f"redis://127.0.0.1:{closed_port()}/0"),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/health/ready")
            live = await client.get("/health/live")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "dependency_unavailable"
    assert body["checks"] == {"database": "ok", "redis": "down"}
    assert body["failing"] == ["redis"]
    assert "redis" in body["detail"]
    assert live.status_code == 200  # liveness does not depend on Redis


async def test_metrics_are_labelled_by_route_template(app_client: httpx.AsyncClient) -> None:
    await app_client.get("/health/live")
    await app_client.get("/no/such/page/123")
    await app_client.get("/no/such/page/456")
    text = (await app_client.get("/metrics")).text
    assert (
        'roomtime_http_requests_total{method="GET",route="/health/live",status="200"} 1.0' in text
    )
    assert 'route="<unmatched>",status="404"} 2.0' in text
    assert "/no/such/page/123" not in text
    assert "roomtime_http_request_duration_seconds_bucket" in text
