"""A cap on request bodies (MAX_JSON_BODY_BYTES): 413 before more than the cap is read.

A plain ASGI middleware, like the request-context one, placed inside it so the 413 carries
the request id and is counted and logged. A declared `Content-Length` over the cap is refused
without reading a byte; a chunked body is read until the cap is passed, then refused, and
the rest is never read. A body within the cap is handed on whole (JSON is parsed whole
anyway). Routes that stream their own body with their own limit (the multipart upload,
MAX_UPLOAD_BYTES) are passed through untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomtime.api.problems import problem_response

log = structlog.get_logger(__name__)


def _template_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")


def _body_framing(scope: Scope) -> tuple[bool, int | None]:
    """Whether the request has a body at all, and its declared length if it says one."""
    has_body, declared = False, None
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            has_body = True
            # The HTTP server rejects a malformed length itself; here only a number counts.
            declared = int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            has_body = True
    return has_body, declared


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, max_bytes: int, streamed_routes: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streamed: dict[str, list[re.Pattern[str]]] = {}
        for method, path in streamed_routes:
            self.streamed.setdefault(method.upper(), []).append(_template_pattern(path))

    def _is_streamed(self, scope: Scope) -> bool:
        patterns = self.streamed.get(scope["method"], ())
        return any(p.match(scope["path"]) for p in patterns)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_streamed(scope):
            await self.app(scope, receive, send)
            return
        has_body, declared = _body_framing(scope)
        if not has_body:
            # Neither Content-Length nor Transfer-Encoding: HTTP/1.1 says there is no body
            # (RFC 9112 6.3), so there is nothing to cap or to buffer (most GETs).
            await self.app(scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send, declared)
            return
        buffered = await self._read_within_cap(receive)
        if buffered is None:
            await self._refuse(scope, receive, send, None)
            return
        pending = list(buffered)

        async def replay() -> Message:
            # The body as one message, then the real channel (for disconnect notices).
            return pending.pop(0) if pending else await receive()

        await self.app(scope, replay, send)

    async def _read_within_cap(self, receive: Receive) -> list[Message] | None:
        """The body as messages to replay, or None once it has passed the cap."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return [message]  # the client went away: the app sees the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, declared: int | None
    ) -> None:
        log.info("request_body_too_large", declared_length=declared, max_bytes=self.max_bytes)
        response = problem_response(
            Request(scope),
            status=413,
            code="payload_too_large",
            title="Payload Too Large",
            detail=f"The request body exceeds the limit of {self.max_bytes} bytes",
            # The unread rest of the body makes the connection unusable for another request.
            headers={"Connection": "close"},
            max_bytes=self.max_bytes,
        )
        await response(scope, receive, send)
