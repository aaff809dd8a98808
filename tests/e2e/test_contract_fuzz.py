"""Contract fuzzing: Schemathesis drives every documented operation of a real `roomtime api`
with generated and boundary inputs and checks each answer against the OpenAPI document.

Checks: no 5xx, only documented status codes, content types and headers, and bodies that
match their schemas. Login and forgot are left out: they hash passwords and rate-limit per
IP, which makes thousands of generated calls slow and mostly 429s (they have tests of their
own). The seed is fixed so a failure replays the same way.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from roomtime import migrate
from roomtime.core.clock import utcnow
from roomtime.domains.auth import tokens
from tests.conftest import TEST_JWT_SECRET
from tests.e2e.test_cli import _fetch
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database
from tests.support.processes import free_port, roomtime_process, wait_for_http

pytestmark = pytest.mark.slow

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def test_every_operation_answers_as_documented(services: ServiceUrls, tmp_path: Path) -> None:
    url = asyncio.run(fresh_database(services, f"{TEST_DB_NAME}_fuzz"))
    migrate.upgrade(url)
    port = free_port()
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": services.redis_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(tmp_path),
        "PORT": str(port),
        "CONFIRM_RATE_LIMIT": "100000/minute",
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "roomtime", "seed"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    [admin] = asyncio.run(_fetch(url, "SELECT id FROM user_account WHERE role = 'admin'"))
    config = tokens.JwtConfig(TEST_JWT_SECRET, "roomtime", "roomtime-api", 3600)
    token = tokens.issue_access_token(config, user_id=admin["id"], role="admin", now=utcnow())
    base = f"http://127.0.0.1:{port}"
    with roomtime_process("api", env=env, log_path=tmp_path / "api.log") as proc:
        wait_for_http(f"{base}/health/ready", proc)
        fuzz = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                f"{base}/openapi.json",
                "-H",
                f"Authorization: Bearer {token}",
                "--checks",
                CHECKS,
                "--max-examples",
                "15",
                "--seed",
                "1",
                "--exclude-path-regex",
                "/auth/(login|forgot)",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=400,
            check=False,
        )
    assert fuzz.returncode == 0, fuzz.stdout[-6000:]
    assert "Tested: " in fuzz.stdout
