"""The test-only booking switches (UNSAFE_DISABLE_BOOKING_GUARDS, BOOKING_RACE_DELAY_MS)
are refused outside ENVIRONMENT=test: by the settings, and by a real `roomtime` start.

They switch off the guards against double booking for the concurrency suite's negative
control; anywhere else they would be a way to sell one slot twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from roomtime.settings import AppSettings, AuthSettings, BookingSettings, MailSettings, Settings
from tests.conftest import TEST_JWT_SECRET
from tests.services import ServiceUrls
from tests.support.processes import free_port, roomtime_process, wait_for_http

pytestmark = pytest.mark.slow

SWITCHES = {
    "UNSAFE_DISABLE_BOOKING_GUARDS": ("unsafe_disable_booking_guards", "true", True),
    "BOOKING_RACE_DELAY_MS": ("booking_race_delay_ms", "300", 300),
}
# Whatever the machine running the suite has set, these tests decide them.
CLEARED = ("ENVIRONMENT", "PUBLIC_BASE_URL", "SMTP_HOST", "SEED_ADMIN_PASSWORD", *SWITCHES)


def _settings(environment: str, switch: str) -> Settings:
    field, _, value = SWITCHES[switch]
    return Settings(
        app=AppSettings(environment=environment, public_base_url="https://rooms.example.com"),  # type: ignore[arg-type]
        auth=AuthSettings(jwt_secret=TEST_JWT_SECRET),
        mail=MailSettings(smtp_host="smtp.example.com"),
        booking=BookingSettings(**{field: value}),
    )


@pytest.mark.parametrize("switch", SWITCHES)
@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_settings_refuse_a_switch_outside_the_test_environment(
    environment: str, switch: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(environment, switch)
    message = str(caught.value)
    assert switch in message and "ENVIRONMENT=test" in message


@pytest.mark.parametrize("switch", SWITCHES)
def test_the_test_environment_accepts_each_switch(switch: str) -> None:
    field, _, value = SWITCHES[switch]
    assert getattr(_settings("test", switch).booking, field) == value


def _env(services: ServiceUrls, tmp_path: Path, environment: str, switch: str) -> dict[str, str]:
    return {
        **os.environ,
        **dict.fromkeys(CLEARED, ""),
        "ENVIRONMENT": environment,
        "DATABASE_URL": services.database_url,
        "REDIS_URL": services.redis_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "DATA_DIR": str(tmp_path),
        switch: SWITCHES[switch][1],
    }


@pytest.mark.parametrize("switch", SWITCHES)
@pytest.mark.parametrize("command", ["api", "worker"])
def test_a_real_start_outside_the_test_environment_is_refused(
    services: ServiceUrls, tmp_path: Path, command: str, switch: str
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "roomtime",
            command,
            *(["--port", str(free_port())] * (command == "api")),
        ],
        env=_env(services, tmp_path, "development", switch),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the configuration is refused" in result.stderr
    assert switch in result.stderr and "ENVIRONMENT=test" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_same_start_with_environment_test_serves(services: ServiceUrls, tmp_path: Path) -> None:
    # The control: the refusal above comes from the environment, not from the command line.
    port = free_port()
    env = _env(services, tmp_path, "test", "UNSAFE_DISABLE_BOOKING_GUARDS")
    env["BOOKING_RACE_DELAY_MS"] = "300"
    with roomtime_process(
        "api", "--port", str(port), env=env, log_path=tmp_path / "api.log"
    ) as proc:
        wait_for_http(f"http://127.0.0.1:{port}/health/live", proc)
