"""Anonymous `GET /resources/{id}` answered before routing, as the route answers it.

A resource page is the second read every client makes (after the list, before the
calendar), and the route's own work is one indexed query. FastAPI's part (matching ~130
routes, solving the path parameter and the bearer scheme, wrapping the call) cost as much as
the query itself, so the canonical anonymous request is recognised by its exact shape and
answered here, with the service function the route calls and the same bytes and headers.

It answers only what the route would answer the same way: a positive id without leading
zeros, no query string, no `Authorization` header (a token is checked by the route, and an
admin may see a deactivated resource). An error is answered by the app's own exception
handlers (api/problems.answer_exception): a missing or deactivated resource is the same 404
problem, a lost database the same 503. It runs inside the request-context middleware, so
the request has its id, access line and metrics under the route's template.
"""

from __future__ import annotations

import re

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from roomtime.api.problems import answer_exception
from roomtime.domains.resources import service

RESOURCE_PATH = "/resources/{resource_id}"
# Up to 18 digits: always inside the bigint range the route's validation allows.
_PATH = re.compile(r"/resources/([1-9][0-9]{0,17})")


def _has_authorization(scope: Scope) -> bool:
    return any(name == b"authorization" for name, _ in scope["headers"])


class ResourceReadFront:
    def __init__(self, app: ASGIApp, route: BaseRoute | None = None) -> None:
        self.app = app
        # Set in the scope as routing would have set it, for the access log and metrics.
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope["query_string"]
            and (path := _PATH.fullmatch(scope["path"])) is not None
            and not _has_authorization(scope)
        ):
            await self._answer(scope, receive, send, int(path[1]))
            return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, resource_id: int) -> None:
        if self.route is not None:
            scope["route"] = self.route
        try:
            async with scope["app"].state.infra.sessionmaker() as session:
                resource = await service.read_resource(session, resource_id)
        except Exception as exc:  # noqa: BLE001 - answered by the app's handlers, as routed
            await answer_exception(scope, receive, send, exc)
            return
        # The headers of the route's `model_response(resource)`.
        body = resource.model_dump_json().encode()
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
