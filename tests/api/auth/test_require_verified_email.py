"""REQUIRE_VERIFIED_EMAIL (SPEC R-33): hold and confirm answer 403 `email_not_verified` for
an unverified account when it is on, and work as before when it is off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.main import create_app
from roomtime.settings import AppSettings, AuthSettings, MailSettings, Settings
from tests.api.auth.conftest import PASSWORD, VERIFICATION_SUBJECT
from tests.conftest import TEST_JWT_SECRET, make_settings
from tests.factories.resources import make_resource
from tests.services import ServiceUrls
from tests.support.smtp import Inbox, verification_token_from

NOW = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)  # a Monday, before the 08:00 opening
HOLD = {"starts_at": "2030-01-07T10:00:00+00:00", "ends_at": "2030-01-07T11:00:00+00:00"}


@dataclass
class Apps:
    required: httpx.AsyncClient  # REQUIRE_VERIFIED_EMAIL=true
    not_required: httpx.AsyncClient  # REQUIRE_VERIFIED_EMAIL=false
    room: int


def _settings(services: ServiceUrls, tmp_path: Path, inbox: Inbox, required: bool) -> Settings:
    return make_settings(
        services,
        tmp_path,
        app=AppSettings(environment="test", data_dir=tmp_path),
        auth=AuthSettings(jwt_secret=TEST_JWT_SECRET, require_verified_email=required),
        mail=MailSettings(smtp_host=inbox.host, smtp_port=inbox.port),
    )


@pytest.fixture
async def apps(
    services: ServiceUrls, tmp_path: Path, inbox: Inbox, session: AsyncSession, redis: object
) -> AsyncIterator[Apps]:
    clock = FrozenClock(NOW)
    room = (await make_resource(session, clock, horizon_days=2)).id
    await session.commit()
    async with AsyncExitStack() as stack:
        clients = []
        for required in (True, False):
            app = create_app(_settings(services, tmp_path, inbox, required), clock=clock)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://test")
                )
            )
        yield Apps(clients[0], clients[1], room)


async def _signed_up(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    r = await client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    login = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _refused(response: httpx.Response) -> bool:
    return (
        response.status_code == 403
        and response.headers["content-type"] == "application/problem+json"
        and response.json()["code"] == "email_not_verified"
    )


@pytest.mark.api
async def test_unverified_accounts_cannot_hold_or_confirm_when_required(
    apps: Apps, inbox: Inbox
) -> None:
    headers = await _signed_up(apps.required, "ada@example.com")
    hold = {"resource_id": apps.room, **HOLD}
    assert _refused(await apps.required.post("/bookings/hold", json=hold, headers=headers))

    # The same account on an instance that does not require it holds as before ...
    held = await apps.not_required.post("/bookings/hold", json=hold, headers=headers)
    assert held.status_code == 201, held.text
    confirm = {"hold_id": held.json()["hold_id"]}
    # ... but cannot confirm that hold where verification is required.
    assert _refused(await apps.required.post("/bookings/confirm", json=confirm, headers=headers))

    _, token = verification_token_from(await inbox.take("ada@example.com", VERIFICATION_SUBJECT))
    assert (await apps.required.post("/auth/verify", json={"token": token})).status_code == 204
    confirmed = await apps.required.post("/bookings/confirm", json=confirm, headers=headers)
    assert confirmed.status_code == 201 and confirmed.json()["status"] == "confirmed"
    later = {
        "resource_id": apps.room,
        "starts_at": "2030-01-07T11:00:00+00:00",
        "ends_at": "2030-01-07T12:00:00+00:00",
    }
    again = await apps.required.post("/bookings/hold", json=later, headers=headers)
    assert again.status_code == 201, again.text


@pytest.mark.api
async def test_unverified_accounts_book_when_not_required(apps: Apps) -> None:
    headers = await _signed_up(apps.not_required, "bob@example.com")
    held = await apps.not_required.post(
        "/bookings/hold", json={"resource_id": apps.room, **HOLD}, headers=headers
    )
    assert held.status_code == 201, held.text
    confirmed = await apps.not_required.post(
        "/bookings/confirm", json={"hold_id": held.json()["hold_id"]}, headers=headers
    )
    assert confirmed.status_code == 201, confirmed.text


@pytest.mark.unit
@pytest.mark.parametrize(
    ("environment", "explicit", "required"),
    [
        ("production", None, True),
        ("development", None, False),
        ("test", None, False),
        ("production", False, False),
        ("development", True, True),
    ],
)
def test_required_by_default_in_production_only(
    environment: str, explicit: bool | None, required: bool
) -> None:
    settings = Settings(
        app=AppSettings(
            environment=environment,  # type: ignore[arg-type]
            public_base_url="https://rooms.example.test",
        ),
        auth=AuthSettings(jwt_secret=TEST_JWT_SECRET, require_verified_email=explicit),
        mail=MailSettings(smtp_host="mail.example.test"),
    )
    assert settings.email_verification_required is required
