"""Cron expressions of JOBS_*_CRON: the field sets handed to the scheduler."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from roomtime.core.cron import parse_schedule
from roomtime.settings import JobSettings

pytestmark = pytest.mark.unit


def test_five_fields_run_at_second_zero() -> None:
    schedule = parse_schedule("*/15 2-4 * * *")
    assert schedule is not None
    assert schedule.as_kwargs() == {
        "second": {0},
        "minute": {0, 15, 30, 45},
        "hour": {2, 3, 4},
        "day": None,
        "month": None,
        "weekday": None,
    }


def test_six_fields_put_seconds_first_and_weekdays_follow_crontab() -> None:
    schedule = parse_schedule("*/20 30 6 * * 0,1,5-7")
    assert schedule is not None
    assert schedule.second == {0, 20, 40} and schedule.minute == {30} and schedule.hour == {6}
    # crontab: 0 and 7 are Sunday, 1 Monday; Python (and the scheduler): Monday 0, Sunday 6
    assert schedule.weekday == {6, 0, 4, 5}


def test_off_disables_a_job() -> None:
    assert parse_schedule(" off ") is None
    assert parse_schedule("never") is None


@pytest.mark.parametrize(
    "expression",
    ["* * * *", "61 * * * *", "*/0 * * * *", "x * * * *", "0 0 1 * 1", "1-0 * * * *"],
)
def test_bad_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(expression)


def test_settings_refuse_a_bad_schedule_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBS_RECONCILE_CRON", "every five minutes")
    with pytest.raises(ValidationError, match="jobs_reconcile_cron"):
        JobSettings()
    monkeypatch.setenv("JOBS_RECONCILE_CRON", "*/5 * * * *")
    assert JobSettings().schedule("reconcile") == "*/5 * * * *"
