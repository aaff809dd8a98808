"""`roomtime job run NAME` as an operator runs it: the job runs now and prints its summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from roomtime.domains.jobs.registry import JOBS
from tests.services import ServiceUrls
from tests.support.workers import expired_hold, migrated_database, sql, worker_env

pytestmark = pytest.mark.slow


def _job_run(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roomtime", "job", "run", name],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_job_run_prints_what_it_did(services: ServiceUrls, tmp_path: Path) -> None:
    url = await migrated_database(services, "jobcli")
    booking = await expired_hold(url)
    env = worker_env(url, services.redis_url, tmp_path)

    first = _job_run("release-holds", env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads(first.stdout.splitlines()[-1]) == {"job": "release-holds", "expired": 1}
    [row] = await sql(url, "SELECT status FROM booking WHERE id = $1", booking)
    assert row["status"] == "expired"
    assert any(p.suffix == ".eml" for p in (tmp_path / "mail").iterdir())  # the hold mail

    again = _job_run("release-holds", env)
    assert json.loads(again.stdout.splitlines()[-1]) == {"job": "release-holds", "expired": 0}


def test_an_unknown_job_exits_2_and_names_the_jobs(tmp_path: Path) -> None:
    unknown = _job_run("release-everything", {"DATA_DIR": str(tmp_path)})
    assert unknown.returncode == 2
    assert "release-everything" in unknown.stderr
    assert all(name in unknown.stderr for name in JOBS)
