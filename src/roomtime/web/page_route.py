"""The route class of every UI page: whatever goes wrong, a person gets a page in their
language, never a JSON document or a trace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from roomtime.web.api_client import ApiProblemError
from roomtime.web.render import CsrfRefusedError, Ui

log = structlog.get_logger("roomtime.web")


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except (ApiProblemError, CsrfRefusedError, HTTPException):
                raise  # answered by web.errors and the app's handlers
            except RequestValidationError:
                # A malformed address (/book/abc): there is no such page.
                ui = Ui(request)
                return ui.page("error.html", http_status=404, message=ui.t("no_such_page"))
            except Exception:
                log.exception("unhandled_exception", path=request.url.path)
                ui = Ui(request)
                request_id = request.scope.get("state", {}).get("request_id", "")
                message = ui.t("unexpected_error", request_id=request_id)
                return ui.page("error.html", http_status=500, message=message)

        return page_handler
