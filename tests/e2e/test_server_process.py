"""The real `roomtime api` process, started as an operator would, answers over HTTP."""

from __future__ import annotations

import socket
import time
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
        "KEEPALIVE_SECONDS": "2",
    }
    base = f"http://127.0.0.1:{port}"
    with roomtime_process("api", env=env, log_path=tmp_path / "api.log") as proc:
        wait_for_http(f"{base}/health/live", proc)
        _assert_idle_connections_close_after(port, seconds=2)
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


def _request_on(conn: socket.socket) -> bytes:
    """One GET on an open connection; the whole response (head and Content-Length body)."""
    conn.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    response = b""
    while b"\r\n\r\n" not in response:
        response += conn.recv(65536)
    head, _, body = response.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    while len(body) < length:
        body += conn.recv(65536)
    return response


def _assert_idle_connections_close_after(port: int, *, seconds: float) -> None:
    """KEEPALIVE_SECONDS reaches uvicorn: a connection idle for less is reused, one idle
    for longer is closed by the server (with uvicorn's own 5 s it would still be open)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        assert _request_on(conn).startswith(b"HTTP/1.1 200")
        time.sleep(seconds / 4)
        assert _request_on(conn).startswith(b"HTTP/1.1 200")
        time.sleep(seconds + 1)
        assert conn.recv(1) == b""  # the server closed it


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
