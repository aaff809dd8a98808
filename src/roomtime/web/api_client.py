"""The UI's way to the JSON API: the same app, called in-process over ASGI.

Every rule (validation, permissions, rate limits, the booking engine) stays in the API; the
UI only forwards the signed-in person's access token and the client's address, and turns a
problem document into a message. When the access token has expired, one refresh with the
refresh-token cookie is tried and the request repeated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from starlette.requests import Request

# Headers of the browser's request worth passing on: the proxy chain (so the API's
# TRUSTED_PROXIES rule sees the same client), the request id and the user agent (sessions).
# The API's device cookie lives at Path=/auth; the UI keeps its copy for its own sign-in form.
DEVICE_COOKIE = "rt_device"
_FORWARDED = ("x-forwarded-for", "x-request-id", "user-agent", "accept-language")


@dataclass
class ApiProblemError(Exception):
    """A problem document the API answered with (or a transport failure of the call)."""

    status: int
    detail: str
    code: str = "error"
    retry_after: int | None = None
    fields: list[dict[str, str]] = field(default_factory=list)
    # A 401 to a call made with the person's token: the session is over (sign in again), as
    # opposed to a 401 that is the answer itself (wrong password).
    signed_out: bool = False

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiProblemError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        retry = response.headers.get("retry-after")
        details = body.get("details") if isinstance(body.get("details"), list) else []
        return cls(
            status=response.status_code,
            detail=str(body.get("detail") or body.get("title") or response.reason_phrase),
            code=str(body.get("code") or "error"),
            retry_after=int(retry) if retry and retry.isdigit() else None,
            fields=[d for d in details if isinstance(d, dict)],
        )


@dataclass
class Tokens:
    access: str | None
    refresh: str | None
    changed: bool = False  # refreshed (or cleared) during this request: cookies to rewrite


class ApiClient:
    def __init__(self, request: Request, tokens: Tokens) -> None:
        self._request = request
        self.tokens = tokens
        client = request.client
        # The API sees the browser's address, so per-IP limits apply to the person, not to
        # the UI; a port is needed by the transport only.
        self._peer = (client.host, client.port) if client else ("127.0.0.1", 0)
        # Starlette decodes header values as latin-1: they go on as the same bytes (httpx
        # refuses a str that is not ASCII, and judging the value is the API's business).
        self._headers: dict[str, str | bytes] = {
            name: value.encode("latin-1")
            for name in _FORWARDED
            if (value := request.headers.get(name)) is not None
        }
        self.device_cookie = request.cookies.get(DEVICE_COOKIE)

    def _client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self._request.app, client=self._peer)
        # The API's device cookie (Path=/auth) goes back with the login it belongs to.
        cookies = {"roomtime_device": self.device_cookie} if self.device_cookie else None
        return httpx.AsyncClient(
            transport=transport, base_url="http://roomtime.internal", cookies=cookies
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: AsyncIterator[bytes] | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        """The API's response; a 4xx/5xx answer raises ApiProblemError."""
        response = await self._send(method, path, json, params, headers, content, auth)
        if response.status_code == 401 and auth and content is None and await self._refresh():
            response = await self._send(method, path, json, params, headers, content, auth)
        if response.status_code >= 400:
            problem = ApiProblemError.from_response(response)
            problem.signed_out = auth and response.status_code == 401
            raise problem
        return response

    async def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return (await self.call("GET", path, params=clean)).json()

    async def _send(
        self,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        content: AsyncIterator[bytes] | None,
        auth: bool,
    ) -> httpx.Response:
        sent = dict(self._headers)
        if auth and self.tokens.access:
            sent["authorization"] = f"Bearer {self.tokens.access}"
        if headers:
            sent.update(headers)
        async with self._client() as client:
            response = await client.request(
                method,
                path,
                json=json,
                params=params,
                headers=sent,
                content=content,
            )
        # The inner request ran in this task and bound its own id (and user) to the log
        # context; this request's later lines carry this request's id again.
        request_id = self._request.scope.get("state", {}).get("request_id")
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        return response

    async def _refresh(self) -> bool:
        if not self.tokens.refresh:
            return False
        response = await self._send(
            "POST",
            "/auth/refresh",
            {"refresh_token": self.tokens.refresh},
            None,
            None,
            None,
            False,
        )
        self.tokens.changed = True
        if response.status_code != 200:
            self.tokens.access = self.tokens.refresh = None
            return False
        pair = response.json()
        self.tokens.access, self.tokens.refresh = pair["access_token"], pair["refresh_token"]
        return True
