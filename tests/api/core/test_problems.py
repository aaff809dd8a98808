"""Every error is an RFC 9457 problem document with a stable code and the request id."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, EmailStr, Field

from roomtime.core.errors import BusyError, ConflictError
from roomtime.main import create_app
from roomtime.settings import Settings

pytestmark = pytest.mark.api

SECRET = "postgres://owner:hunter2@db.internal/prod"


class _Body(BaseModel):
    email: EmailStr
    count: int = Field(ge=1)


class _SlotsTakenError(ConflictError):
    code = "slots_unavailable"
    title = "Slots unavailable"


def _error_router() -> APIRouter:
    router = APIRouter()

    @router.post("/_test/validate")
    async def validate(body: _Body) -> dict[str, str]:
        return {"email": body.email}

    @router.get("/_test/boom")
    async def boom() -> None:
        raise RuntimeError(f"secret-DSN {SECRET}")

    @router.get("/_test/conflict")
    async def conflict() -> None:
        raise _SlotsTakenError("slot 3 is taken", slot_ids=[3])

    @router.get("/_test/busy")
    async def busy() -> None:
        raise BusyError("try again", retry_after=3)

    return router


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    app.include_router(_error_router())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/no/such/thing"), 404, "not_found")
    assert body["instance"] == "/no/such/thing"


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


async def test_validation_error_lists_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/_test/validate", json={"email": "nope", "count": 0})
    body = assert_problem(response, 422, "validation_error")
    details = {d["field"]: d for d in body["details"]}  # type: ignore[union-attr]
    assert set(details) == {"body.email", "body.count"}
    assert details["body.count"]["type"] == "greater_than_equal"
    assert all(d["message"] for d in details.values())


async def test_malformed_json_is_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/_test/validate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, "validation_error")


async def test_unhandled_exception_is_500_without_internals(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/_test/boom", headers={"X-Request-ID": "trace-500"})
    body = assert_problem(response, 500, "internal_error")
    assert body["request_id"] == "trace-500"
    text = response.text
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text
    # The log keeps what the body hides: the exception, under the same request id.
    logged = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    assert any(
        m.get("event") == "unhandled_exception"
        and m.get("request_id") == "trace-500"
        and isinstance(m.get("exc_info"), RuntimeError)
        for m in logged
    )


async def test_domain_error_maps_code_and_extras(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/_test/conflict"), 409, "slots_unavailable")
    assert body["detail"] == "slot 3 is taken"
    assert body["slot_ids"] == [3]


async def test_busy_error_carries_retry_after(client: httpx.AsyncClient) -> None:
    response = await client.get("/_test/busy")
    assert_problem(response, 409, "busy")
    assert response.headers["retry-after"] == "3"


async def test_valid_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123.DEF_4"})
    assert response.headers["x-request-id"] == "abc-123.DEF_4"


@pytest.mark.parametrize("bad", ["has space", "x" * 200, "semi;colon", ""])
async def test_malformed_request_id_is_replaced(client: httpx.AsyncClient, bad: str) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": bad})
    assert response.headers["x-request-id"] != bad
    assert len(response.headers["x-request-id"]) == 32


async def test_request_ids_differ_between_requests(client: httpx.AsyncClient) -> None:
    first = await client.get("/health/live")
    second = await client.get("/health/live")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_openapi_documents_problem_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "Problem" in schema["components"]["schemas"]
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_405_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    response = await client.delete("/me")  # GET /me and PATCH /me are two routes
    assert_problem(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "PATCH"}


async def test_a_body_that_is_not_text_is_a_documented_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/_test/validate",
        content=b"\xff\xfe\x00garbage",
        headers={"content-type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"
    schema = (await client.get("/openapi.json")).json()
    assert {"400", "422", "500"} <= set(schema["paths"]["/health/ready"]["get"]["responses"])
