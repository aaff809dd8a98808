"""Anonymous availability requests answered before routing: the read the cache exists for.

`GET /resources/{id}/availability?date=YYYY-MM-DD` without credentials is the busiest request
there is, and its cached answer needs nothing but one Redis round trip (R-21/22). Routing it
through FastAPI (matching ~130 routes, solving the dependencies, building a Response) cost
more than the Redis read itself, so this ASGI middleware recognises the request by its exact
shape and answers it: a hit with the stored bytes as they are, a miss with the same
PostgreSQL read and write-back as the route (availability_read), with the same headers.

It answers only what the route would answer the same way:
- the path and query in their canonical form only (a positive id without leading zeros,
  `date=` and a day the route's own `IsoDay` type accepts, nothing else); any other
  spelling goes to the route, which validates it;
- no `Authorization` header at all (the route checks a token, valid or not, and may show an
  admin a deactivated resource's day).
A hit whose entry says the resource was deactivated is read again like a miss, as the
route does for a caller who is not an admin (a 404). Errors are answered by the app's own
exception handlers (api/problems.answer_exception): the same 404 and 503 problems.

It runs inside the request-context middleware, so the request has its request id, access
log line and metrics labelled with the route's template, like any other request. Redis
down: the lookup is a miss (core.redis.cache) and the day is read from PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import TypeAdapter, ValidationError
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from roomtime.api.problems import answer_exception
from roomtime.api.responses import has_authorization, send_json
from roomtime.core.dates import IsoDay
from roomtime.core.prepared import PooledReads
from roomtime.domains.availability import service as availability_service
from roomtime.domains.resources.availability_read import read_missed_day

AVAILABILITY_PATH = "/resources/{resource_id}/availability"
_PATH = re.compile(r"/resources/([1-9][0-9]{0,17})/availability")
_QUERY = re.compile(rb"date=([0-9]{4}-[0-9]{2}-[0-9]{2})")
_DAY: TypeAdapter[date] = TypeAdapter(IsoDay)


def _day(text: bytes) -> date | None:
    try:
        return _DAY.validate_python(text.decode("ascii"))
    except ValidationError:
        return None


class AvailabilityFront:
    def __init__(self, app: ASGIApp, route: BaseRoute | None = None) -> None:
        self.app = app
        # The route's object, set in the scope as routing would have set it, so the access
        # log and metrics label the request with the route's template.
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path = _PATH.fullmatch(scope["path"])
            query = _QUERY.fullmatch(scope["query_string"]) if path else None
            day = _day(query[1]) if query else None
            if path and day and not has_authorization(scope):
                await self._answer(scope, receive, send, int(path[1]), day)
                return
        await self.app(scope, receive, send)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, resource_id: int, day: date
    ) -> None:
        if self.route is not None:
            scope["route"] = self.route
        state = scope["app"].state
        lookup = await availability_service.lookup_day(state.infra.cache, resource_id, day)
        if lookup.hit and lookup.resource_active:
            await send_json(send, lookup.body, ((b"x-cache", b"HIT"),))
            return
        try:
            # A bare pooled connection: the miss runs only raw reads (core.prepared).
            async with PooledReads(state.infra.engine) as reads:
                body = await read_missed_day(
                    state, reads, lookup, resource_id, day, include_inactive=False
                )
        except Exception as exc:  # noqa: BLE001 - answered by the app's handlers, as routed
            await answer_exception(scope, receive, send, exc)
            return
        await send_json(send, body, ((b"x-cache", b"MISS"),))
