"""OTEL_ENABLED: FastAPI's own OpenTelemetry instrumentation is off unless asked for."""

from __future__ import annotations

import pytest

from roomtime.main import _telemetry
from roomtime.settings import AppSettings

pytestmark = pytest.mark.unit


def test_off_by_default_and_fastapis_defaults_when_enabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_ENABLED", raising=False)
    assert AppSettings().otel_enabled is False
    assert _telemetry(False) == {"tracing": False, "metrics": False, "logs": False}
    monkeypatch.setenv("OTEL_ENABLED", "true")
    assert AppSettings().otel_enabled is True
    assert _telemetry(True) is None
