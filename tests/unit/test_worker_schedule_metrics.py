"""What the late-job alert compares with: the longest gap of each job's schedule."""

from __future__ import annotations

import pytest

from roomtime.core import metrics
from roomtime.core.cron import parse_schedule
from roomtime.settings import JobSettings, Settings
from roomtime.worker import cron_jobs, longest_gap_seconds

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("* * * * *", 60),
        ("*/5 * * * *", 300),
        ("10 0 * * *", 86400),
        ("*/20 * * * * *", 20),
        ("0 9 * * 1-5", 3 * 86400),  # Friday 09:00 to Monday 09:00
    ],
)
def test_longest_gap_of_a_schedule(expression: str, seconds: int) -> None:
    schedule = parse_schedule(expression)
    assert schedule is not None
    assert longest_gap_seconds(schedule) == seconds


def test_scheduling_announces_each_job_and_skips_the_disabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(
        jobs=JobSettings(jobs_reconcile_cron="*/7 * * * *", jobs_remind_upcoming_cron="off")
    )
    scheduled = {job.name.rsplit(":", 1)[-1] for job in cron_jobs(settings)}
    assert "remind-upcoming" not in scheduled and "reconcile" in scheduled
    assert metrics.JOB_INTERVAL.labels("reconcile")._value.get() == 7 * 60
    assert metrics.JOB_LAST_SUCCESS.labels("reconcile")._value.get() > 0
