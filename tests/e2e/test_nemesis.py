"""The short fault-injection run (`python3 run.py nemesis --short`): real API and worker
processes under a random workload while Redis is paused, flushed and restarted, workers and
API processes are killed and PostgreSQL connections terminated; every check must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.nemesis.config import FAULT_KINDS, RunConfig
from tests.nemesis.report import render
from tests.nemesis.runner import run
from tests.services import TEST_DB_NAME, ServiceUrls

pytestmark = pytest.mark.slow

SEED = 3


def test_the_short_nemesis_run_breaks_no_invariant(services: ServiceUrls, tmp_path: Path) -> None:
    config = RunConfig.short(
        SEED, database_name=f"{TEST_DB_NAME}_nemesis", server_url=services.admin_database_url
    )
    outcome = run(config, tmp_path)
    report = render(outcome)

    assert outcome.faults_fired == set(FAULT_KINDS), report
    assert [c.name for c in outcome.checks] == [
        "no overlapping live bookings",
        "no event oversold",
        "slots agree with bookings",
        "every 201 confirm is in the database",
        "one booking per Idempotency-Key",
        "expired holds released within TTL + one sweep",
        "outbox delivered once per dedupe key",
    ]
    assert outcome.passed, report
    confirmed = [a for a in outcome.records if a.op == "confirm" and a.status == 201]
    assert confirmed, report  # the workload got through: there was something to check
