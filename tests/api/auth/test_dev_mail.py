"""Without SMTP settings (development), mail goes to DATA_DIR/mail and the log: the\nregistration's verification link as well as the reset link."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest

from roomtime.main import create_app
from tests.conftest import make_settings
from tests.services import ServiceUrls

pytestmark = pytest.mark.api


async def test_reset_mail_is_written_to_the_data_dir(
    services: ServiceUrls, tmp_path: Path, clean_db: None, redis: object
) -> None:
    settings = make_settings(services, tmp_path)  # no SMTP_HOST
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
                files = list((tmp_path / "mail").glob("*.eml"))
                if len(files) == 2:
                    break
                await asyncio.sleep(0.05)
            page = await client.get("/reset", params={"token": "abc"})
    messages = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    bodies = [m.get_body().get_content() for m in messages]  # type: ignore[union-attr]
    assert [m["To"] for m in messages] == ["ada@example.com"] * 2
    # The registration's verification mail and the reset mail, one each.
    assert sum("/verify?token=" in b for b in bodies) == 1
    assert sum("/reset?token=" in b for b in bodies) == 1
    assert page.status_code == 200 and "auth/reset" in page.text
