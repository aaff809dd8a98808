"""Anonymous resource reads answered before routing, as their routes answer them.

`GET /resources` (the catalogue) and `GET /resources/{id}` (a resource's page) are the
reads every client makes before it looks at a calendar, and each route's own work is one
or two indexed queries. FastAPI's part (matching ~130 routes, solving and validating the
parameters and the bearer scheme, wrapping the call) cost as much as the queries, so the
plain anonymous request is recognised by its shape and answered here, with the call the
route makes and the same bytes and headers.

It answers only what the route would answer the same way, and leaves everything else to it:
- no `Authorization` header (a token is checked by the route, and an admin may see
  deactivated resources);
- a resource id: digits without a leading zero, no query string;
- the list: only `q`, `location`, `min_capacity`, `limit`, `offset` and `sort`, each at most
  once, each valid as the route validates it (the route's own query model; limit and offset
  as plain digits within the route's bounds; sort one of its options). Anything else,
  and anything invalid, goes to the route, which explains it in a 422.
An error is answered by the app's own exception handlers (api/problems.answer_exception):
a missing or deactivated resource is the same 404 problem, a lost database the same 503.
It runs inside the request-context middleware, so the request has its id, its access line
and its metrics under the route's template.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from pydantic import ValidationError
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from roomtime.api.problems import answer_exception
from roomtime.api.responses import has_authorization, send_json
from roomtime.core.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    PageParams,
    Sort,
    sort_options,
)
from roomtime.core.prepared import PooledReads
from roomtime.domains.resources import service
from roomtime.domains.resources.constants import DEFAULT_SORT, SORT_FIELDS
from roomtime.domains.resources.router import listing_response
from roomtime.domains.resources.schemas import ResourceListQuery

RESOURCE_PATH = "/resources/{resource_id}"
LISTING_PATH = "/resources"
# Up to 18 digits: always inside the bigint range the route's validation allows.
_ID_PATH = re.compile(r"/resources/([1-9][0-9]{0,17})")
_DIGITS = re.compile(r"0|[1-9][0-9]{0,9}")
_FILTERS = frozenset({"q", "location", "min_capacity"})
_SORTS = frozenset(sort_options(*SORT_FIELDS))


def _bounded(text: str | None, default: int, low: int, high: int) -> int | None:
    if text is None:
        return default
    if _DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if low <= value <= high else None


def _listing_request(raw: bytes) -> tuple[ResourceListQuery, PageParams, Sort] | None:
    """The list request as the route would read it, or None where the route must answer."""
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    except ValueError:
        return None
    given = dict(pairs)
    if len(given) != len(pairs) or not given.keys() <= _FILTERS | {"limit", "offset", "sort"}:
        return None
    limit = _bounded(given.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _bounded(given.get("offset"), 0, 0, MAX_OFFSET)
    sort = given.get("sort", DEFAULT_SORT)
    if limit is None or offset is None or sort not in _SORTS:
        return None
    try:
        query = ResourceListQuery.model_validate({k: v for k, v in given.items() if k in _FILTERS})
    except ValidationError:
        return None
    return query, PageParams(limit=limit, offset=offset), Sort.parse(sort)


class ResourceReadFront:
    def __init__(
        self,
        app: ASGIApp,
        resource_route: BaseRoute | None = None,
        listing_route: BaseRoute | None = None,
    ) -> None:
        self.app = app
        # Set in the scope as routing would have set them, for the access log and metrics.
        self.resource_route = resource_route
        self.listing_route = listing_route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not has_authorization(scope):
            path = scope["path"]
            if path == LISTING_PATH:
                listing = _listing_request(scope["query_string"])
                if listing is not None:
                    await self._listing(scope, receive, send, *listing)
                    return
            elif not scope["query_string"] and (found := _ID_PATH.fullmatch(path)) is not None:
                await self._resource(scope, receive, send, int(found[1]))
                return
        await self.app(scope, receive, send)

    async def _resource(self, scope: Scope, receive: Receive, send: Send, resource_id: int) -> None:
        if self.resource_route is not None:
            scope["route"] = self.resource_route
        try:
            # A bare pooled connection: the read is one raw statement (core.prepared).
            async with PooledReads(scope["app"].state.infra.engine) as reads:
                resource = await service.read_resource(reads, resource_id)
        except Exception as exc:  # noqa: BLE001 - answered by the app's handlers, as routed
            await answer_exception(scope, receive, send, exc)
            return
        # The route's `model_response(resource)`, as bytes and headers.
        await send_json(send, resource.model_dump_json().encode())

    async def _listing(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        query: ResourceListQuery,
        page: PageParams,
        sort: Sort,
    ) -> None:
        if self.listing_route is not None:
            scope["route"] = self.listing_route
        state = scope["app"].state
        try:
            # A bare pooled connection: the page and its count are raw reads.
            async with PooledReads(state.infra.engine) as reads:
                response = await listing_response(
                    state, reads, query, page, sort, viewer_id=None, viewer_is_admin=False
                )
        except Exception as exc:  # noqa: BLE001 - answered by the app's handlers, as routed
            await answer_exception(scope, receive, send, exc)
            return
        await response(scope, receive, send)
