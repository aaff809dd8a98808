"""Property: no input makes any route answer 5xx, and every error is a problem document.

Every operation of the OpenAPI document (and the routes outside it: /docs, /redoc, the
schema, the reset page) is called through the real app on the real databases, as an
anonymous caller, a user and an admin, with hostile values where the schema expects dates,
ids or text (year 1 and 9999, huge offsets, leap seconds, naive times, 0, -1, 2**63, 2**64,
floats, NUL characters, lone surrogates, very long strings, malformed JSON) and in the
headers (X-Request-ID, Idempotency-Key, Authorization, Accept-Language, Content-Type: very
long, non-ASCII, latin-1 bytes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Route

from roomtime.core.clock import utcnow
from roomtime.core.db import create_sessionmaker
from roomtime.main import create_app
from roomtime.models import metadata
from roomtime.settings import AppSettings, AuthSettings, Settings
from roomtime.web.page_route import PageRoute
from tests.conftest import TEST_JWT_SECRET
from tests.factories import rows
from tests.factories.auth import make_caller
from tests.factories.resources import make_resource
from tests.support.hostile_requests import (
    HostileRequest,
    Slot,
    chaos_requests,
    slot_requests,
    slots_of,
)

pytestmark = pytest.mark.api

_APP = create_app(
    Settings(app=AppSettings(environment="test"), auth=AuthSettings(jwt_secret=TEST_JWT_SECRET))
)
SCHEMA = _APP.openapi()
COMPONENTS = SCHEMA["components"]["schemas"]
DOCUMENTED = [
    (method.upper(), path, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
]
UNDOCUMENTED = sorted(
    (method, route.path, {})
    for route in _APP.routes
    if isinstance(route, Route) and not (isinstance(route, APIRoute) and route.include_in_schema)
    for method in sorted(route.methods or ())
    if method != "HEAD"
)
OPERATIONS = DOCUMENTED + UNDOCUMENTED
# The web UI's pages answer an error with an HTML page (never a trace).
PAGES = {
    (method, route.path)
    for route in _APP.routes
    if isinstance(route, PageRoute)
    for method in route.methods or ()
}


Hostile = tuple[httpx.AsyncClient, dict[str, bytes | None]]


@pytest.fixture(scope="module")
async def hostile_client(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Hostile]:
    """One app for the whole module (its state only grows: that is fine for this property),
    with a resource and a booking, and a user and an admin to call it as."""
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    async with create_sessionmaker(engine)() as session:
        user = await make_caller(session, settings, email="hostile-user@example.com")
        admin = await make_caller(session, settings, role="admin", email="hostile@example.com")
        resource = await make_resource(session, utcnow, horizon_days=2)
        start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=10, minute=0, second=0)
        await rows.booking(session, user_id=user.user.id, resource_id=resource.id, starts_at=start)
        await session.commit()
    tokens = {
        "anonymous": None,
        "user": user.headers["Authorization"].encode(),
        "admin": admin.headers["Authorization"].encode(),
    }
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, tokens


async def _send(client: httpx.AsyncClient, request: HostileRequest) -> httpx.Response:
    return await client.request(
        request.method, request.url, headers=request.headers, content=request.content
    )


def _check(request: HostileRequest, response: httpx.Response, *, page: bool) -> None:
    where = f"{request.method} {request.url:.300} {request.headers!r:.600} {request.content!r:.600}"
    assert response.status_code < 500, f"{where}\n→ {response.status_code} {response.text[:500]}"
    if response.status_code >= 400 and page:
        # An error page; or the API's problem when the body could not even be parsed as the
        # form the page expects (no browser sends that).
        kind = response.headers["content-type"]
        assert kind.startswith("text/html") or kind == "application/problem+json", where
        assert "Traceback" not in response.text, where
    elif response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", where
        body = response.json()
        assert body["status"] == response.status_code and body["code"], where


# One case per input of every operation (that input hostile, the rest plausible), and one
# per operation with hostile headers and a body of any shape.
CASES = [
    (method, path, operation, slot)
    for method, path, operation in OPERATIONS
    for slot in [*slots_of(path, operation, COMPONENTS), None]
]
# Admin twice: admin-only operations refuse the others before reading their input.
ROLE_DRAW = st.sampled_from(["admin", "admin", "user", "anonymous"])


@pytest.mark.parametrize(
    ("method", "path", "operation", "slot"),
    CASES,
    ids=[f"{m} {p} {s.label if s else 'headers'}" for m, p, _, s in CASES],
)
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_hostile_input_never_causes_a_server_error(
    hostile_client: Hostile,
    method: str,
    path: str,
    operation: dict[str, object],
    slot: Slot | None,
    data: st.DataObject,
) -> None:
    client, tokens = hostile_client
    token = tokens[data.draw(ROLE_DRAW, label="role")]
    if slot is None:
        strategy = chaos_requests(method, path, operation, COMPONENTS, token)
    else:
        strategy = slot_requests(method, path, operation, COMPONENTS, slot, token)
    request = data.draw(strategy)
    response = await _send(client, request)
    _check(request, response, page=(method, path) in PAGES)
