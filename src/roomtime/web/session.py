"""The UI's cookies: the token pair, the CSRF secret, a one-shot message and the language.

Tokens live only in HttpOnly cookies (no page script can read them), SameSite=Lax so other
sites' forms do not carry them, Secure in production or over HTTPS. Each state-changing form
also carries a CSRF token: an HMAC, under the app's JWT secret, of a random per-browser value
kept in its own HttpOnly cookie (signed double submit), checked before anything is done.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from roomtime.settings import Settings
from roomtime.web.api_client import DEVICE_COOKIE, Tokens

ACCESS_COOKIE = "rt_access"
REFRESH_COOKIE = "rt_refresh"
CSRF_COOKIE = "rt_csrf"
FLASH_COOKIE = "rt_flash"
LANG_COOKIE = "rt_lang"
CSRF_FIELD = "csrf_token"
_YEAR = 365 * 24 * 3600


def _secure(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return settings.app.environment == "production" or request.url.scheme == "https"


def _set(
    response: Response,
    request: Request,
    name: str,
    value: str,
    max_age: int | None,
    *,
    path: str = "/",
    samesite: str = "lax",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        secure=_secure(request),
        samesite=samesite,  # type: ignore[arg-type]
    )


def read_tokens(request: Request) -> Tokens:
    return Tokens(request.cookies.get(ACCESS_COOKIE), request.cookies.get(REFRESH_COOKIE))


def write_tokens(response: Response, request: Request, tokens: Tokens) -> None:
    settings: Settings = request.app.state.settings
    if tokens.access and tokens.refresh:
        _set(
            response, request, ACCESS_COOKIE, tokens.access, settings.auth.access_token_ttl_seconds
        )
        _set(
            response,
            request,
            REFRESH_COOKIE,
            tokens.refresh,
            settings.auth.refresh_token_ttl_seconds,
        )
    else:
        response.delete_cookie(ACCESS_COOKIE, path="/")
        response.delete_cookie(REFRESH_COOKIE, path="/")


def write_device(response: Response, request: Request, value: str, max_age: int) -> None:
    _set(response, request, DEVICE_COOKIE, value, max_age, path="/login", samesite="strict")


# CSRF ----------------------------------------------------------------------------------


def _secret(request: Request) -> bytes:
    # A key of its own, derived from the JWT secret, so a CSRF token is never a token elsewhere.
    key = getattr(request.app.state, "ui_csrf_key", None)
    if key is None:
        settings: Settings = request.app.state.settings
        secret = settings.resolved_jwt_secret().encode()
        key = hmac.new(secret, b"roomtime-ui-csrf", hashlib.sha256).digest()
        request.app.state.ui_csrf_key = key
    return key


def csrf_seed(request: Request) -> str:
    """This browser's CSRF value (made now if it has none; `ensure_csrf` stores it)."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    return hmac.new(_secret(request), csrf_seed(request).encode(), hashlib.sha256).hexdigest()


def ensure_csrf(response: Response, request: Request) -> None:
    if request.cookies.get(CSRF_COOKIE) is None:
        _set(response, request, CSRF_COOKIE, csrf_seed(request), _YEAR)


def csrf_ok(request: Request, submitted: object) -> bool:
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed or not isinstance(submitted, str):
        return False
    expected = hmac.new(_secret(request), seed.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, submitted)


# One-shot messages after a redirect ------------------------------------------------------


@dataclass(frozen=True)
class Flash:
    kind: str  # "ok" | "error"
    text: str


def write_flash(response: Response, request: Request, flash: Flash) -> None:
    raw = json.dumps({"kind": flash.kind, "text": flash.text[:1000]}).encode()
    _set(response, request, FLASH_COOKIE, base64.urlsafe_b64encode(raw).decode(), 120)


def read_flash(request: Request) -> Flash | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
        return Flash(kind=str(data["kind"]), text=str(data["text"]))
    except (ValueError, KeyError, TypeError):
        return None


def write_language(response: Response, request: Request, lang: str) -> None:
    _set(response, request, LANG_COOKIE, lang, _YEAR)
