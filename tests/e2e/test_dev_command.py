"""`roomtime dev` as a new user runs it: no URLs set, so it starts its own servers."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database
from tests.support.processes import free_port, pids_with_arg, roomtime_process, stop, wait_for_http

pytestmark = pytest.mark.slow


def _env(data_dir: Path, port: int) -> dict[str, str]:
    env = {"DATA_DIR": str(data_dir), "PORT": str(port), "LOG_FORMAT": "json"}
    for name in ("DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL", "TEST_REDIS_URL"):
        env[name] = ""
    return env


def _worker_pid(log: Path, timeout: float = 30) -> int:
    """The pid the job worker logged when it started its schedule."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and json.loads(line).get("event") == "worker_started":
                return int(json.loads(line)["pid"])
        time.sleep(0.2)
    raise AssertionError("the job worker did not start")


def _run_once(data_dir: Path, log: Path) -> str:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with roomtime_process("dev", env=_env(data_dir, port), log_path=log) as proc:
        wait_for_http(f"{base}/health/ready", proc, timeout=120)
        assert httpx.get(f"{base}/docs").status_code == 200
        assert pids_with_arg(str(data_dir)), "embedded servers should run under DATA_DIR"
        worker = _worker_pid(log)
        assert Path(f"/proc/{worker}").exists()
        assert stop(proc, signal.SIGINT) == 0
    assert not Path(f"/proc/{worker}").exists(), "the job worker outlived `roomtime dev`"
    text = log.read_text()
    assert '"worker_stopped"' in text
    return text


def _assert_nothing_left(data_dir: Path) -> None:
    deadline = time.monotonic() + 15
    while pids_with_arg(str(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pids_with_arg(str(data_dir)) == []


def test_dev_starts_embedded_services_stops_them_and_reuses_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = _run_once(data_dir, tmp_path / "first.log")
    _assert_nothing_left(data_dir)
    assert "(created)" in first
    assert (data_dir / "postgres" / "PG_VERSION").exists()

    second = _run_once(data_dir, tmp_path / "second.log")
    _assert_nothing_left(data_dir)
    assert "(exists); new resources: 0" in second  # the first run's data was kept


def test_dev_with_urls_starts_nothing_embedded(services: ServiceUrls, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    database_url = asyncio.run(fresh_database(services, f"{TEST_DB_NAME}_dev"))
    port = free_port()
    env = {**_env(data_dir, port), "DATABASE_URL": database_url, "REDIS_URL": services.redis_url}
    with roomtime_process("dev", env=env, log_path=tmp_path / "dev.log") as proc:
        wait_for_http(f"http://127.0.0.1:{port}/health/ready", proc, timeout=60)
        assert pids_with_arg(str(data_dir)) == []
        assert stop(proc, signal.SIGINT) == 0
    assert not (data_dir / "postgres").exists()
    assert not (data_dir / "redis").exists()
