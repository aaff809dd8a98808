"""Contract fuzzing: Schemathesis drives every documented operation of a real `roomtime api`
with generated and boundary inputs and checks each answer against the OpenAPI document.

Two runs, one per role, side by side against the same server: an admin's token reaches every
operation; a normal user's token reaches the authenticated operations as a user (their own
bookings, the profile, and the admin operations' refusals). Without a token the
authenticated operations would only ever answer 401 and their inputs would go unfuzzed.

Checks: no 5xx, only documented status codes, content types and headers, and bodies that
match their schemas. Login and forgot are left out: they hash passwords and rate-limit per
IP, which makes thousands of generated calls slow and mostly 429s (they have tests of their
own); the other per-IP and per-user limits are lifted for the same reason. The seed is fixed
so a failure replays the same way.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
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
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
MAX_EXAMPLES = "7"  # per operation and role; the suite's time budget is the limit
UNLIMITED = "100000/minute"
USER_EMAIL = "fuzz-user@example.com"


def _environment(url: str, services: ServiceUrls, tmp_path: Path, port: int) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "REDIS_URL": services.redis_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(tmp_path),
        "PORT": str(port),
        "CONFIRM_RATE_LIMIT": UNLIMITED,
        "HOLD_RATE_LIMIT": UNLIMITED,
        "REGISTER_RATE_LIMIT": UNLIMITED,
        "RESET_RATE_LIMIT": UNLIMITED,
        "LOGIN_IP_RATE_LIMIT": UNLIMITED,
        "MAX_LIVE_HOLDS_PER_USER": "1000",
    }


def _seed(env: dict[str, str]) -> None:
    seeded = subprocess.run(
        [sys.executable, "-m", "roomtime", "seed"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr


def _token(url: str, email_sql: str, role: str) -> str:
    [row] = asyncio.run(_fetch(url, f"SELECT id FROM user_account WHERE {email_sql}"))
    config = tokens.JwtConfig(TEST_JWT_SECRET, "roomtime", "roomtime-api", 3600)
    return tokens.issue_access_token(config, user_id=row["id"], role=role, now=utcnow())


def _user_operation_ids(base: str) -> list[str]:
    """Operations that need a token and are not marked "(admin)" in their summary: the ones
    a user can do. The admin run covers the rest; a user would only get 403 from them."""
    # The first request builds the schema (about half a second idle; longer on a busy machine).
    schema = httpx.get(f"{base}/openapi.json", timeout=120).json()
    return sorted(
        op["operationId"]
        for item in schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("security") and "(admin)" not in op["summary"]
    )


def _fuzz(base: str, token: str, workdir: Path, *filters: str) -> subprocess.Popen[str]:
    workdir.mkdir()
    return subprocess.Popen(
        [
            SCHEMATHESIS,
            "run",
            f"{base}/openapi.json",
            "-H",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            "1",
            # A contract check, not a latency check: an admin's PUT that regenerates a
            # resource's slots for the whole horizon took over the default 10 s once, on a
            # shared 2-CPU machine running the rest of the suite beside it.
            "--request-timeout",
            "60",
            "--exclude-path-regex",
            "/auth/(login|forgot)",
            *filters,
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_every_operation_answers_as_documented_to_a_user_and_an_admin(
    services: ServiceUrls, tmp_path: Path
) -> None:
    url = asyncio.run(fresh_database(services, f"{TEST_DB_NAME}_fuzz"))
    migrate.upgrade(url)
    port = free_port()
    env = _environment(url, services, tmp_path, port)
    _seed(env)
    base = f"http://127.0.0.1:{port}"
    with roomtime_process("api", env=env, log_path=tmp_path / "api.log") as proc:
        wait_for_http(f"{base}/health/ready", proc)
        registered = httpx.post(
            f"{base}/auth/register",
            json={"email": USER_EMAIL, "password": "correct horse battery staple"},
            timeout=60,
        )
        assert registered.status_code == 201, registered.text
        admin = _token(url, "role = 'admin'", "admin")
        user = _token(url, f"email = '{USER_EMAIL}'", "user")
        user_operations = [
            arg for op in _user_operation_ids(base) for arg in ("--include-operation-id", op)
        ]
        runs = {
            "admin": _fuzz(base, admin, tmp_path / "admin"),
            "user": _fuzz(base, user, tmp_path / "user", *user_operations),
        }
        try:
            outputs = {role: run.communicate(timeout=900)[0] for role, run in runs.items()}
        finally:
            for run in runs.values():
                if run.poll() is None:
                    run.kill()
                    run.wait()
    for role, run in runs.items():
        assert run.returncode == 0, f"{role} run:\n{outputs[role][-6000:]}"
        assert "Tested: " in outputs[role], outputs[role][-2000:]
