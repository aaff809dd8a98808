"""One request of a UI page: who is signed in, the language, the API client, and rendering.

Pages are Jinja2 templates with autoescaping on, so every text from a user (a resource's
name, a problem's detail) is shown as text. Every page is sent with a Content-Security-Policy
that allows scripts and styles from this origin only (no inline script or style at all) and
no framing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from roomtime.web import session, timefmt
from roomtime.web.api_client import ApiClient, ApiProblemError
from roomtime.web.i18n import LANGUAGES, Translator, language_of

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    # Mailed links carry their token in the address: it must not travel on in a Referer.
    "Referrer-Policy": "no-referrer",
    # Pages show personal data and carry CSRF tokens: never kept by caches.
    "Cache-Control": "no-store",
}

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("roomtime.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class CsrfRefusedError(Exception):
    """A state-changing form came without this browser's CSRF token."""


class Ui:
    """Built by `open` (GET pages) or `form` (POSTed forms) at the start of a handler."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.lang = language_of(request)
        self.t = Translator(self.lang)
        self.api = ApiClient(request, session.read_tokens(request))
        self.user: dict[str, Any] | None = None
        self.unread: int | None = None  # the header's badge; None when nobody is signed in
        self.flash = session.read_flash(request)
        self.back: str | None = None  # where a POST's failure is reported
        request.state.ui = self

    @classmethod
    async def open(cls, request: Request, *, signed_in: bool = False) -> Ui:
        """`signed_in`: the page needs an account; without one, ApiProblemError 401 is raised
        (and answered with the sign-in page)."""
        ui = cls(request)
        await ui.load_user(signed_in=signed_in)
        return ui

    @classmethod
    async def form(
        cls, request: Request, back: str, *, signed_in: bool = True
    ) -> tuple[Ui, dict[str, str]]:
        """A POSTed form, its CSRF token checked first; failures are reported at `back`."""
        ui = cls(request)
        ui.back = back
        data = await request.form()
        # Before anything else, even a token refresh: a forged form changes nothing at all.
        if not session.csrf_ok(request, data.get(session.CSRF_FIELD)):
            raise CsrfRefusedError
        await ui.load_user(signed_in=signed_in)
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        return ui, fields

    async def load_user(self, *, signed_in: bool) -> None:
        if self.api.tokens.access or self.api.tokens.refresh:
            try:
                self.user = await self.api.get("/me")
            except ApiProblemError as problem:
                if problem.status != 401:
                    raise
                self.api.tokens.access = self.api.tokens.refresh = None
                self.api.tokens.changed = True
        if self.user is not None:
            try:
                self.unread = (await self.api.get("/notifications/unread-count"))["unread"]
            except ApiProblemError:
                # The badge is a convenience: a refusal to count never costs the page.
                self.unread = None
        if signed_in and self.user is None:
            raise ApiProblemError(401, self.t("sign_in_needed"), "unauthorized", signed_out=True)

    @property
    def is_admin(self) -> bool:
        return bool(self.user and self.user.get("role") == "admin")

    @property
    def is_specialist(self) -> bool:
        return bool(self.user and self.user.get("role") == "specialist")

    def problem_text(self, problem: ApiProblemError) -> str:
        text = problem.detail
        messages = [f.get("message", "") for f in problem.fields if f.get("message")]
        if messages and problem.status == 422:
            text = "; ".join(dict.fromkeys(messages))
        if problem.retry_after is not None:
            text += " " + self.t("retry_after", seconds=problem.retry_after)
        return text

    # Responses -------------------------------------------------------------------------

    def page(self, template: str, *, http_status: int = 200, **context: Any) -> HTMLResponse:
        body = _environment.get_template(template).render(
            t=self.t,
            lang=self.lang,
            languages=LANGUAGES,
            user=self.user,
            is_admin=self.is_admin,
            is_specialist=self.is_specialist,
            unread=self.unread,
            flash=self.flash,
            csrf_field=session.CSRF_FIELD,
            csrf_token=session.csrf_token(self.request),
            path=self.request.url.path,
            here=self._here(),
            span=lambda a, b, zone: timefmt.span(a, b, zone, self.t),
            moment=lambda a, zone: timefmt.moment(a, zone, self.t),
            clock_span=timefmt.clock_span,
            clock=timefmt.clock,
            day_label=lambda day: timefmt.day_label(day, self.t),
            **context,
        )
        return self.finish(HTMLResponse(body, status_code=http_status, headers=PAGE_HEADERS))

    def redirect(self, url: str, *, ok: str | None = None, error: str | None = None) -> Response:
        response = RedirectResponse(url, status_code=303)
        if ok or error:
            kind, text = ("ok", ok) if ok else ("error", error)
            session.write_flash(response, self.request, session.Flash(kind, text or ""))
        return self.finish(response, keep_flash=bool(ok or error))

    def finish(self, response: Response, *, keep_flash: bool = False) -> Response:
        if self.api.tokens.changed:
            session.write_tokens(response, self.request, self.api.tokens)
        session.ensure_csrf(response, self.request)
        if self.flash and not keep_flash:
            response.delete_cookie(session.FLASH_COOKIE, path="/")
        return response

    def _here(self) -> str:
        query = self.request.url.query
        return self.request.url.path + (f"?{query}" if query else "")


def sign_in_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(here, safe="")


def safe_next(value: str | None) -> str:
    """Only a path of this site: a `next` parameter must not send anyone elsewhere."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"
