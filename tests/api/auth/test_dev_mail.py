"""Without SMTP settings mail goes to DATA_DIR/mail (the registration's verification link as
well as the reset link); its text (a link is as good as the password) reaches the log only in
development."""

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
) -> tuple[list[str], str]:
    """Register and ask for a reset through the app; returns the two mails' texts and the log."""
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
                if len(files) == 2:
                    break
                await asyncio.sleep(0.05)
            page = await client.get("/reset", params={"token": "abc"})
    assert page.status_code == 200 and 'action="/reset"' in page.text
    messages = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert [m["To"] for m in messages] == ["ada@example.com"] * 2
    bodies = [m.get_body().get_content() for m in messages]  # type: ignore[union-attr]
    # The registration's verification mail and the reset mail, one each.
    assert sum("/verify?token=" in b for b in bodies) == 1
    assert sum("/reset?token=" in b for b in bodies) == 1
    return bodies, stdout.getvalue()


def _tokens(bodies: list[str]) -> list[str]:
    return [
        body.split(f"/{page}?token=", 1)[1].split()[0]
        for body in bodies
        for page in ("reset", "verify")
        if f"/{page}?token=" in body
    ]


async def test_outside_development_the_link_is_only_in_the_file(
    services: ServiceUrls,
    tmp_path: Path,
    clean_db: None,
    redis: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bodies, log = await _request_reset(services, tmp_path, "test", monkeypatch)
    assert log.count("dev_mail_written") == 2  # each mail was logged, without its text
    assert "?token=" not in log
    for token in _tokens(bodies):
        assert token not in log


async def test_in_development_the_log_shows_the_link(
    services: ServiceUrls,
    tmp_path: Path,
    clean_db: None,
    redis: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bodies, log = await _request_reset(services, tmp_path, "development", monkeypatch)
    tokens = _tokens(bodies)
    assert len(tokens) == 2
    for token in tokens:
        assert f"?token={token}" in log
