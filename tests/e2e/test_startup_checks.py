"""The real `roomtime` processes refuse a production configuration that is not ready, with
a message naming each variable, and say once when they run on development defaults."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from roomtime import migrate
from tests.conftest import TEST_JWT_SECRET
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database
from tests.support.processes import free_port, roomtime_process, stop, wait_for_http
from tests.support.workers import WorkerLog, plain_dsn, wait_until, worker_env

pytestmark = pytest.mark.slow

# Whatever the machine running the suite has set, these tests decide them.
CLEARED = (
    "ENVIRONMENT",
    "JWT_SECRET",
    "PUBLIC_BASE_URL",
    "SMTP_HOST",
    "SEED_ADMIN_PASSWORD",
    "UPLOAD_GRACE_SECONDS",
)


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **dict.fromkeys(CLEARED, ""), **env}
    return subprocess.run(
        [sys.executable, "-m", "roomtime", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _events(text: str, name: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == name]


def test_production_api_without_its_settings_names_each_one(services: ServiceUrls) -> None:
    result = _run(
        "api",
        env={"ENVIRONMENT": "production", "DATABASE_URL": services.database_url},
    )
    assert result.returncode == 2
    for variable in ("JWT_SECRET", "PUBLIC_BASE_URL", "SMTP_HOST"):
        assert f"{variable} is not set" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_production_seed_refuses_the_documented_admin_password(
    services: ServiceUrls, tmp_path: Path
) -> None:
    url = asyncio.run(fresh_database(services, f"{TEST_DB_NAME}_weak_seed"))
    migrate.upgrade(url)
    env = {
        "ENVIRONMENT": "production",
        "DATABASE_URL": url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "PUBLIC_BASE_URL": "https://booking.example.com",
        "SMTP_HOST": "127.0.0.1",
        "DATA_DIR": str(tmp_path),
    }
    for weak in ("roomtime-admin", "admin12345"):
        result = _run("seed", env={**env, "SEED_ADMIN_PASSWORD": weak})
        assert result.returncode == 2
        assert "SEED_ADMIN_PASSWORD is the documented development default" in result.stderr
        assert weak not in result.stderr
    assert asyncio.run(_count_users(url)) == 0

    strong = _run("seed", env={**env, "SEED_ADMIN_PASSWORD": "a long admin passphrase"})
    assert strong.returncode == 0, strong.stderr
    assert asyncio.run(_count_users(url)) == 1


async def _count_users(url: str) -> int:
    conn = await asyncpg.connect(plain_dsn(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM user_account"))
    finally:
        await conn.close()


def test_an_upload_grace_below_five_minutes_is_refused(services: ServiceUrls) -> None:
    result = _run(
        "worker",
        env={
            "DATABASE_URL": services.database_url,
            "REDIS_URL": services.redis_url,
            "UPLOAD_GRACE_SECONDS": "0",
        },
    )
    assert result.returncode == 2
    assert "UPLOAD_GRACE_SECONDS: Input should be greater than or equal to 300" in result.stderr
    assert "Traceback" not in result.stderr


def test_api_on_development_defaults_warns_once(services: ServiceUrls, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **dict.fromkeys(CLEARED, ""),
        "DATABASE_URL": services.database_url,
        "REDIS_URL": services.redis_url,
        "DATA_DIR": str(tmp_path),
        "PORT": str(port),
        "LOG_FORMAT": "json",
    }
    log = tmp_path / "api.log"
    with roomtime_process("api", "--workers", "2", env=env, log_path=log) as proc:
        wait_for_http(f"http://127.0.0.1:{port}/health/live", proc)
        assert stop(proc) == 0
    [warning] = _events(log.read_text(), "development_defaults_in_use")
    assert warning["level"] == "warning" and warning["environment"] == "development"
    assert "ENVIRONMENT=production" in str(warning["detail"])


def test_worker_on_development_defaults_warns_once(services: ServiceUrls, tmp_path: Path) -> None:
    env = worker_env(services.database_url, services.redis_url, tmp_path, ENVIRONMENT="")
    log = WorkerLog(tmp_path / "worker.log")
    with log.path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "roomtime", "worker"],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: proc.poll() is not None or log.events("worker_started"))
    finally:
        assert stop(proc) == 0
    [warning] = log.events("development_defaults_in_use")
    assert warning["command"] == "worker"
