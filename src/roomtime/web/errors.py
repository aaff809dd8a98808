"""How the UI answers a problem: the API's `detail`, never a trace.

A failed form goes back to its page with the message on top (POST, redirect, GET); a page
that cannot be shown says why with the API's status; a missing sign-in leads to the sign-in
page and back.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from roomtime.web.api_client import ApiProblemError
from roomtime.web.render import CsrfRefusedError, Ui, sign_in_url


def _ui(request: Request) -> Ui:
    ui = getattr(request.state, "ui", None)
    return ui if isinstance(ui, Ui) else Ui(request)


async def _api_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblemError)
    ui = _ui(request)
    if exc.signed_out:
        ui.api.tokens.access = ui.api.tokens.refresh = None
        ui.api.tokens.changed = True
        target = sign_in_url(request) if request.method == "GET" else "/login"
        if ui.back and request.method != "GET":
            target = "/login?next=" + quote(ui.back, safe="")
        return ui.redirect(target, error=ui.t("sign_in_needed"))
    if request.method != "GET" and ui.back:
        return ui.redirect(ui.back, error=ui.problem_text(exc))
    status = exc.status if 400 <= exc.status < 600 else 500
    return ui.page("error.html", http_status=status, message=ui.problem_text(exc))


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    ui = _ui(request)
    return ui.page("error.html", http_status=403, message=ui.t("csrf_refused"))


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(ApiProblemError, _api_problem)
    app.add_exception_handler(CsrfRefusedError, _csrf_refused)
