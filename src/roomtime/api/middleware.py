"""Request id, nosniff, access log, metrics, and the last-resort 500 as a problem document.

A plain ASGI middleware (not BaseHTTPMiddleware) so it adds no task or buffering per request.
"""

from __future__ import annotations

import os
import time

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomtime.api.metrics import HttpMetrics
from roomtime.api.problems import internal_error
from roomtime.core.request_ids import REQUEST_ID_PATTERN

log = structlog.get_logger("roomtime.access")

UNMATCHED_ROUTE = "<unmatched>"


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if REQUEST_ID_PATTERN.match(text) else None
    return None


def _route_template(scope: Scope) -> str:
    route = getattr(scope.get("route"), "path", None)
    if route:
        return route
    # Plain Starlette routes (/docs, /openapi.json) set no "route" but are static paths, so the
    # raw path is bounded; anything unmatched shares one label.
    return scope["path"] if "endpoint" in scope else UNMATCHED_ROUTE


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # 32 hex digits like uuid4().hex, without building a UUID object per request.
        request_id = _incoming_request_id(scope) or os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                if not any(name.lower() == b"x-content-type-options" for name, _ in headers):
                    # No response may be sniffed into another type (an error page as HTML).
                    headers.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if response_started:
                raise
            response = await internal_error(Request(scope), exc)
            await response(scope, receive, send_with_id)
        finally:
            self._finish(scope, status, time.perf_counter() - started)

    def _finish(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route_template(scope)
        self.metrics.observe(scope["method"], route, status, seconds)
        log.info(
            "request",
            method=scope["method"],
            path=scope["path"],
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            user_id=scope.get("state", {}).get("user_id"),
            client=(scope.get("client") or (None,))[0],
        )
