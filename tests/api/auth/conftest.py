"""An app wired to a real SMTP server and a clock the test can move."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from roomtime.core.clock import FrozenClock
from roomtime.main import create_app
from roomtime.settings import AppSettings, MailSettings, Settings
from tests.conftest import make_settings
from tests.services import ServiceUrls
from tests.support.smtp import Inbox, smtp_server, verification_token_from

PUBLIC_BASE_URL = "https://rooms.example.test"
PASSWORD = "correct horse battery staple"
VERIFICATION_SUBJECT = "Confirm your email address"


@dataclass
class AuthApp:
    client: httpx.AsyncClient
    app: FastAPI
    clock: FrozenClock
    inbox: Inbox
    settings: Settings
    # Email → the token of the verification link its registration mailed.
    verification_tokens: dict[str, str] = field(default_factory=dict)

    def client_from(self, ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(ip, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    async def register(self, email: str, password: str = PASSWORD) -> dict[str, object]:
        response = await self.client.post(
            "/auth/register", json={"email": email, "password": password}
        )
        assert response.status_code == 201, response.text
        # Registration mails a verification link; keep it aside, so the inbox holds only the
        # mail the test itself is about.
        user = response.json()
        mail = await self.inbox.take(user["email"], VERIFICATION_SUBJECT)
        self.verification_tokens[user["email"]] = verification_token_from(mail)[1]
        return user

    async def verify(self, email: str) -> None:
        """Open the verification link that registration mailed to `email`."""
        token = self.verification_tokens[email]
        response = await self.client.post("/auth/verify", json={"token": token})
        assert response.status_code == 204, response.text

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        response = await self.client.post(
            "/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def auth_settings(services: ServiceUrls, tmp_path: Path, inbox: Inbox) -> Settings:
    return make_settings(
        services,
        tmp_path,
        app=AppSettings(environment="test", data_dir=tmp_path, public_base_url=PUBLIC_BASE_URL),
        mail=MailSettings(smtp_host=inbox.host, smtp_port=inbox.port),
    )


@contextlib.asynccontextmanager
async def _running(settings: Settings, inbox: Inbox) -> AsyncIterator[AuthApp]:
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield AuthApp(client, app, clock, inbox, settings)


@pytest.fixture
async def auth_app(
    auth_settings: Settings, inbox: Inbox, clean_db: None, redis: object
) -> AsyncIterator[AuthApp]:
    async with _running(auth_settings, inbox) as found:
        yield found


@pytest.fixture
async def two_mails_an_hour(
    auth_settings: Settings, inbox: Inbox, clean_db: None, redis: object
) -> AsyncIterator[AuthApp]:
    """The app with MAX_MAILS_PER_USER_PER_HOUR at 2: registration's mail and one more."""
    mail = auth_settings.mail.model_copy(update={"max_mails_per_user_per_hour": 2})
    async with _running(auth_settings.model_copy(update={"mail": mail}), inbox) as found:
        yield found
