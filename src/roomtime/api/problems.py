"""RFC 9457 problem details: the only place where errors become HTTP responses."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from roomtime.core.contention import database_unreachable
from roomtime.core.errors import DomainError, ErrorKind

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_BY_KIND: dict[ErrorKind, int] = {
    "not_found": 404,
    "conflict": 409,
    "forbidden": 403,
    "unauthorized": 401,
    "invalid": 422,
    "bad_request": 400,
    "rate_limited": 429,
    "busy": 409,
    "unavailable": 503,
    "too_large": 413,
    "unsupported_media": 415,
}

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class ValidationDetail(BaseModel):
    field: str = Field(examples=["body.email"])
    message: str = Field(examples=["value is not a valid email address"])
    type: str = Field(examples=["value_error"])


class Problem(BaseModel):
    """An RFC 9457 problem document with RoomTime's stable `code` and the request id."""

    type: str = Field(examples=["/problems/slots_unavailable"])
    title: str = Field(examples=["Slots unavailable"])
    status: int = Field(examples=[409])
    detail: str | None = Field(None, examples=["One or more slots are no longer available"])
    instance: str | None = Field(None, examples=["/bookings/hold"])
    code: str = Field(examples=["slots_unavailable"])
    request_id: str | None = Field(None, examples=["5f0c6f3e2a0b4d53a6c1f0f5a3b2c1d0"])
    details: list[ValidationDetail] | None = None


def problem_response(
    request: Request | None,
    *,
    status: int,
    code: str,
    title: str | None = None,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    path: str | None = None,
    request_id: str | None = None,
    **extra: Any,
) -> JSONResponse:
    if request is not None:
        path = path or request.url.path
        request_id = request_id or getattr(request.state, "request_id", None)
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or title or HTTPStatus(status).phrase,
        "instance": path,
        "code": code,
        "request_id": request_id,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = STATUS_BY_KIND[exc.kind]
    headers = dict(exc.headers)
    if exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, int(exc.retry_after)))
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    if status >= 500:
        log.warning("domain_unavailable", code=exc.code, detail=exc.detail)
    return problem_response(
        request,
        status=status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=headers,
        **exc.extra,
    )


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"field": _field_name(err.get("loc", ())), "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]
    return problem_response(
        request,
        status=422,
        code="validation_error",
        title="Validation failed",
        detail=_validation_summary(details),
        details=details,
    )


def _validation_summary(details: list[dict[str, str]]) -> str:
    # The first problem in words, so a client that shows only `detail` still names the field.
    if not details:
        return "The request is not valid"
    first = details[0]
    more = f" (and {len(details) - 1} more; see details)" if len(details) > 1 else ""
    return f"Invalid {first['field'] or 'request'}: {first['message']}{more}"


_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _allowed_methods(request: Request) -> str:
    """Every documented method of this path. Starlette's own `Allow` names only the last
    route it tried, which is wrong when GET and PATCH of one path are two routes."""
    table = getattr(request.app.state, "methods_by_path", None)
    if table is None:
        table = [
            (
                re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"),
                {m.upper() for m in operations if m in _HTTP_METHODS},
            )
            for path, operations in request.app.openapi()["paths"].items()
        ]
        request.app.state.methods_by_path = table
    methods = {m for pattern, ms in table if pattern.match(request.url.path) for m in ms}
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODE_BY_STATUS.get(exc.status_code, "http_error")
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem_response(
        request,
        status=exc.status_code,
        code=code,
        title=phrase,
        detail=detail,
        headers=headers,
    )


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # Services translate the constraint violations they expect; one reaching here is a race
    # the service did not anticipate. The database kept the data consistent: report 409.
    log.warning("unmapped_integrity_error", error=str(getattr(exc, "orig", exc))[:300])
    return problem_response(
        request,
        status=409,
        code="conflict",
        title="Conflict",
        detail="The request conflicts with the current state of the resource",
    )


RETRY_UNAVAILABLE_SECONDS = 1


def _unavailable(request: Request, code: str, detail: str) -> JSONResponse:
    return problem_response(
        request,
        status=503,
        code=code,
        title="Service Unavailable",
        detail=detail,
        headers={"Retry-After": str(RETRY_UNAVAILABLE_SECONDS)},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    # PostgreSQL refusing connections, a backend terminated under a request, or the pool
    # exhausted: nothing was committed, and the same request may succeed in a moment. A
    # client (and an idempotent retry) needs a 503 with Retry-After, not a 500.
    if isinstance(exc, DBAPIError) and not database_unreachable(exc):
        return await internal_error(request, exc)
    log.warning("database_unavailable", error=str(exc)[:300])
    return _unavailable(
        request, "database_unavailable", "The database did not answer; retry shortly"
    )


async def _connection_error(request: Request, exc: Exception) -> JSONResponse:
    # Connecting to a server failed (refused, reset): asyncpg raises these unwrapped when
    # the pool opens a new connection. Redis failures never get here: each Redis concern
    # has its own fallback.
    log.warning("dependency_connection_failed", error=str(exc)[:300])
    return _unavailable(
        request, "dependency_unavailable", "A service RoomTime depends on did not answer"
    )


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled_exception", exc_info=exc)
    return problem_response(
        request,
        status=500,
        code="internal_error",
        title="Internal Server Error",
        detail="An unexpected error occurred; quote the request id when reporting it",
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeoutError, _database_error)
    app.add_exception_handler(ConnectionError, _connection_error)
    app.add_exception_handler(Exception, internal_error)


async def answer_exception(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
    """Answer `exc` as the routes would: with the handler installed above for its class.

    For code that answers before routing (the read fronts), which runs outside the router's
    exception middleware. An exception only the catch-all would take is raised again, for
    the request-context middleware to answer 500 as it does for any route.
    """
    handlers = scope["app"].exception_handlers
    for cls in type(exc).__mro__:
        handler = handlers.get(cls) if cls is not Exception else None
        if handler is not None:
            response = await handler(Request(scope, receive), exc)
            await response(scope, receive, send)
            return
    raise exc


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the given error statuses, all documented as problems."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


# Any request can be malformed (400: a body that is not even text), too large (413: over
# MAX_JSON_BODY_BYTES), invalid (422), meet an unexpected failure (500) or find PostgreSQL out
# of reach (503): documented once, on every API router, as problem documents.
COMMON_RESPONSES = problem_responses(400, 413, 422, 500, 503)


def coded_problems(status: int, *codes: tuple[str, str, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry for one status with an example per problem `code` it may
    carry; each code is (code, title, detail)."""
    examples = {
        code: {
            "summary": code,
            "value": {
                "type": f"/problems/{code}",
                "title": title,
                "status": status,
                "detail": detail,
                "code": code,
                "request_id": "5f0c6f3e2a0b4d53a6c1f0f5a3b2c1d0",
            },
        }
        for code, title, detail in codes
    }
    listed = ", ".join(f"`{code}`" for code, _, _ in codes)
    return {
        status: {
            "model": Problem,
            "description": f"{HTTPStatus(status).phrase}: {listed}",
            "content": {
                PROBLEM_JSON: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "examples": examples,
                }
            },
        }
    }
