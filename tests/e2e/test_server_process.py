"""The real `roomtime api` process, started as an operator would, answers over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_JWT_SECRET
from tests.services import ServiceUrls
from tests.support.processes import free_port, roomtime_process, stop, wait_for_http

pytestmark = pytest.mark.slow


def test_api_process_serves_health_docs_and_problems(services: ServiceUrls, tmp_path: Path) -> None:
    port = free_port()
    env = {
        "DATABASE_URL": services.database_url,
        "REDIS_URL": services.redis_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "DATA_DIR": str(tmp_path),
        "PORT": str(port),
        "ENVIRONMENT": "production",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_HOST": "127.0.0.1",
    }
    base = f"http://127.0.0.1:{port}"
    with roomtime_process("api", env=env, log_path=tmp_path / "api.log") as proc:
        wait_for_http(f"{base}/health/live", proc)
        ready = httpx.get(f"{base}/health/ready")
        assert ready.status_code == 200, ready.text
        assert httpx.get(f"{base}/docs").status_code == 200
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "RoomTime"
        missing = httpx.get(f"{base}/nowhere", headers={"X-Request-ID": "e2e-1"})
        assert missing.status_code == 404
        assert missing.headers["x-request-id"] == "e2e-1"
        assert missing.json()["code"] == "not_found"
        assert stop(proc) == 0
    log = (tmp_path / "api.log").read_text()
    assert '"request_id": "e2e-1"' in log  # JSON access log with the request id
    assert "development_defaults_in_use" not in log


def test_api_refuses_to_start_in_production_without_a_secret(
    services: ServiceUrls, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": services.database_url,
        "REDIS_URL": services.redis_url,
        "ENVIRONMENT": "production",
        "JWT_SECRET": "",
        "PORT": str(free_port()),
    }
    with roomtime_process("api", env=env, log_path=tmp_path / "api.log") as proc:
        proc.wait(60)
        assert proc.returncode != 0
    assert "JWT_SECRET" in (tmp_path / "api.log").read_text()
