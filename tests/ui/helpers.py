"""Set-up through the JSON API (what a test needs before the person arrives), never the UI
under test."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.ui.server import ADMIN_EMAIL, ADMIN_PASSWORD, UiServer

PASSWORD = "correct horse battery"


def new_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def register(server: UiServer, email: str, password: str = PASSWORD) -> None:
    response = httpx.post(
        f"{server.base_url}/auth/register", json={"email": email, "password": password}
    )
    assert response.status_code == 201, response.text


def token(server: UiServer, email: str, password: str) -> str:
    response = httpx.post(
        f"{server.base_url}/auth/login", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def admin_token(server: UiServer) -> str:
    return token(server, ADMIN_EMAIL, ADMIN_PASSWORD)


def api(server: UiServer, method: str, path: str, bearer: str, **kwargs: object) -> httpx.Response:
    return httpx.request(
        method,
        f"{server.base_url}{path}",
        headers={"Authorization": f"Bearer {bearer}"},
        **kwargs,  # type: ignore[arg-type]
    )


def tomorrow_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date() + timedelta(days=1)


def resource_named(server: UiServer, name: str) -> dict[str, object]:
    page = httpx.get(f"{server.base_url}/resources", params={"q": name}).json()
    return next(r for r in page["items"] if r["name"] == name)
