"""Anonymous availability hits answered before routing: the read the cache exists for.

`GET /resources/{id}/availability?date=YYYY-MM-DD` without credentials is the busiest request
there is, and its cached answer needs nothing but one Redis round trip (R-21/22). Routing it
through FastAPI (matching ~150 routes, solving the dependencies, building a Response) cost
more than the Redis read itself, so this ASGI middleware recognises the request by its exact
shape and writes the stored bytes as they are, with the same headers the route would send.

It answers only what the route would answer the same way:
- the path and query in their canonical form only (a positive id without leading zeros,
  `date=` and a `YYYY-MM-DD` day, nothing else); any other spelling goes to the route, which
  validates it;
- no `Authorization` header at all (the route checks a token, valid or not, and may show an
  admin a deactivated resource's day);
- a hit whose entry says the resource was active (a deactivated resource is for admins).
Everything else, and every miss, goes on to the route, with the lookup handed over so a miss
costs no second Redis round trip; the route computes the answer and writes it back under
the stamp of this lookup (taken before the database read, as core.redis.cache requires).

It runs inside the request-context middleware, so the hit has its request id, access log
line and metrics labelled with the route's template, like any other request. Redis down:
the lookup is a miss (core.redis.cache) and the route answers from PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import date

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from roomtime.domains.availability import service as availability_service
from roomtime.domains.availability.service import DayLookup

AVAILABILITY_PATH = "/resources/{resource_id}/availability"
_PATH = re.compile(r"/resources/([1-9][0-9]{0,17})/availability")
_QUERY = re.compile(rb"date=([0-9]{4}-[0-9]{2}-[0-9]{2})")
# Where the lookup of a request the middleware did not answer waits for the route.
_STATE_KEY = "roomtime.availability_lookup"


def handed_over(scope: Scope, resource_id: int, day: date) -> DayLookup | None:
    """The lookup the middleware made for this very resource and day, if it made one."""
    found = scope.get("state", {}).pop(_STATE_KEY, None)
    if found is None or found[0] != resource_id or found[1] != day:
        return None
    lookup: DayLookup = found[2]
    return lookup


def _has_authorization(scope: Scope) -> bool:
    return any(name == b"authorization" for name, _ in scope["headers"])


def _day(text: bytes) -> date | None:
    try:
        return date.fromisoformat(text.decode("ascii"))
    except ValueError:
        return None


class AvailabilityHitFront:
    def __init__(self, app: ASGIApp, route: BaseRoute | None = None) -> None:
        self.app = app
        # The route's object, set in the scope of a hit as routing would have set it, so
        # the access log and metrics label the request with the route's template.
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path = _PATH.fullmatch(scope["path"])
            query = _QUERY.fullmatch(scope["query_string"]) if path else None
            day = _day(query[1]) if query else None
            if path and day and not _has_authorization(scope):
                resource_id = int(path[1])
                cache = scope["app"].state.infra.cache
                lookup = await availability_service.lookup_day(cache, resource_id, day)
                if lookup.hit and lookup.resource_active:
                    await self._send_hit(scope, send, lookup.body)
                    return
                scope.setdefault("state", {})[_STATE_KEY] = (resource_id, day, lookup)
        await self.app(scope, receive, send)

    async def _send_hit(self, scope: Scope, send: Send, body: bytes) -> None:
        if self.route is not None:
            scope["route"] = self.route
        # The headers of the route's own `Response(body, media_type=..., headers=...)`.
        headers = [
            (b"x-cache", b"HIT"),
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
