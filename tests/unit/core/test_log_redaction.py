"""Every line the logging pipeline writes, from structlog or a standard-library logger,
in either format, is scrubbed of the configured secrets, bot tokens and bearer tokens."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable, Iterator

import pytest
import structlog

from roomtime.core.logging import configure_logging

pytestmark = pytest.mark.unit

JWT_SECRET = "jwt-secret-" + "k" * 40
SMTP_PASSWORD = "smtp-pass-Zx81"
METRICS_TOKEN = "scrape-token-Qw77"
BOT_URL = "https://api.telegram.org/bot5550001:AAE_unconfigured-Token/sendMessage"
ACCESS_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLWJ5dGVz"
OPAQUE_BEARER = "Bearer opaque-refresh-abcdef123456"
SECRETS = (JWT_SECRET, SMTP_PASSWORD, METRICS_TOKEN, "AAE_unconfigured-Token", ACCESS_TOKEN)


@pytest.fixture(params=["json", "console"])
def logs(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], str]]:
    root_level = logging.getLogger().level
    stdout = io.StringIO()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", stdout)
        configure_logging(
            "DEBUG", request.param, secrets=[JWT_SECRET, SMTP_PASSWORD, METRICS_TOKEN, None]
        )
    yield stdout.getvalue
    logging.getLogger().setLevel(root_level)


def test_structlog_events_are_scrubbed(logs: Callable[[], str]) -> None:
    structlog.get_logger("roomtime.test").info(
        "outgoing call",
        url=BOT_URL,
        headers={"Authorization": OPAQUE_BEARER, "X-Other": [f"secret is {JWT_SECRET}"]},
        detail=f"login with {SMTP_PASSWORD} failed",
        note=OPAQUE_BEARER,
        scraped_with=METRICS_TOKEN,
        seen=ACCESS_TOKEN,
    )
    out = logs()
    assert "outgoing call" in out and "/bot[redacted]/sendMessage" in out
    assert "Bearer [redacted]" in out
    for secret in (*SECRETS, "opaque-refresh-abcdef123456"):
        assert secret not in out


def test_standard_library_records_and_tracebacks_are_scrubbed(logs: Callable[[], str]) -> None:
    library = logging.getLogger("some.library")
    library.info("HTTP Request: POST %s %r", BOT_URL, {"auth": OPAQUE_BEARER})
    library.debug("connecting with password %s", SMTP_PASSWORD)
    try:
        raise RuntimeError(f"cannot sign with {JWT_SECRET} for {BOT_URL}")
    except RuntimeError:
        library.exception("failed with token %s", METRICS_TOKEN)
        structlog.get_logger("roomtime.test").exception("also failed", token_hint=ACCESS_TOKEN)
    out = logs()
    assert "HTTP Request: POST" in out and "RuntimeError" in out and "also failed" in out
    for secret in (*SECRETS, "opaque-refresh-abcdef123456"):
        assert secret not in out


def test_httpx_request_lines_are_quieted(logs: Callable[[], str]) -> None:
    logging.getLogger("httpx").info("HTTP Request: GET https://example.org/ 200")
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    logging.getLogger("httpx").warning("a warning still shows")
    out = logs()
    assert "HTTP Request" not in out and "connect_tcp" not in out
    assert "a warning still shows" in out
