"""Without SMTP settings mail goes to DATA_DIR/mail; its text (a reset link is as good as the
password) reaches the log only in development."""

from __future__ import annotations

import asyncio
import io
import sys
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest

from roomtime.main import create_app
from roomtime.settings import AppSettings
from tests.conftest import make_settings
from tests.services import ServiceUrls

pytestmark = pytest.mark.api


async def _request_reset(
    services: ServiceUrls, data_dir: Path, environment: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    """A forgot-password request through the app; returns the mail's text and the log."""
    app_settings = AppSettings(environment=environment, data_dir=data_dir, log_format="json")  # type: ignore[arg-type]
    settings = make_settings(services, data_dir, app=app_settings)  # no SMTP_HOST
    stdout = io.StringIO()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", stdout)  # create_app's log handler writes here
        app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await client.post(
                "/auth/register", json={"email": "ada@example.com", "password": "long enough pw"}
            )
            assert (
                await client.post("/auth/forgot", json={"email": "ada@example.com"})
            ).status_code == 202
            for _ in range(100):
                files = list((data_dir / "mail").glob("*.eml"))
                if files:
                    break
                await asyncio.sleep(0.05)
            page = await client.get("/reset", params={"token": "abc"})
    assert page.status_code == 200 and "auth/reset" in page.text
    [eml] = files
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "ada@example.com"
    return message.get_body().get_content(), stdout.getvalue()  # type: ignore[union-attr]


async def test_outside_development_the_link_is_only_in_the_file(
    services: ServiceUrls,
    tmp_path: Path,
    clean_db: None,
    redis: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text, log = await _request_reset(services, tmp_path, "test", monkeypatch)
    token = text.split("/reset?token=", 1)[1].split()[0]
    assert "dev_mail_written" in log  # the mail was logged, without its text
    assert token not in log and "/reset?token=" not in log


async def test_in_development_the_log_shows_the_link(
    services: ServiceUrls,
    tmp_path: Path,
    clean_db: None,
    redis: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text, log = await _request_reset(services, tmp_path, "development", monkeypatch)
    token = text.split("/reset?token=", 1)[1].split()[0]
    assert f"/reset?token={token}" in log
