"""Device cookies (OWASP "Slow Down Online Guessing Attacks with Device Cookies").

A successful login gives the client a signed cookie naming the account (its email) and a
random nonce. A later login for that email that presents it comes from a device that has
signed in before: it is judged by that device's own buckets, never by the account-wide slowed
bucket an attacker can fill, and a device whose attempts keep failing is locked out itself.

The cookie is a JWT (HS256) signed with a key derived from JWT_SECRET for this use only and
typed `device+jwt`, so it can never pass as an access token, nor an access token as a device
cookie. Time claims are checked against the injected clock, as for access tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from roomtime.settings import Settings

COOKIE_NAME = "roomtime_device"
COOKIE_PATH = "/auth"  # sent to the auth routes only
TTL_SECONDS = 365 * 86400
_TYPE = "device+jwt"
_ALGORITHM = "HS256"
_KEY_LABEL = b"roomtime device cookie v1"
_REQUIRED = ["sub", "nonce", "iat", "exp", "iss"]


@dataclass(frozen=True)
class DeviceCookie:
    value: str
    max_age: int
    secure: bool


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.resolved_jwt_secret().encode(), _KEY_LABEL, hashlib.sha256).digest()


def secure_cookie(settings: Settings) -> bool:
    """Secure (HTTPS only) wherever the service is reached over HTTPS, and in production."""
    app = settings.app
    return app.environment == "production" or app.link_base_url.lower().startswith("https://")


def issue(settings: Settings, *, email: str, now: datetime) -> DeviceCookie:
    claims = {
        "sub": email,
        "nonce": secrets.token_urlsafe(16),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=TTL_SECONDS)).timestamp()),
        "iss": settings.auth.jwt_issuer,
    }
    value = jwt.encode(claims, _key(settings), algorithm=_ALGORITHM, headers={"typ": _TYPE})
    return DeviceCookie(value=value, max_age=TTL_SECONDS, secure=secure_cookie(settings))


def device_of(settings: Settings, value: str | None, *, email: str, now: datetime) -> str | None:
    """The nonce of a valid, unexpired device cookie issued for `email`; None otherwise.

    Anything else (absent, forged, expired, another account's) counts as no cookie: the
    login is then judged like any other, never refused for the cookie itself.
    """
    if not value:
        return None
    try:
        decoded = jwt.decode_complete(
            value,
            _key(settings),
            algorithms=[_ALGORITHM],
            issuer=settings.auth.jwt_issuer,
            options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        return None
    header, payload = decoded["header"], decoded["payload"]
    nonce, expires = payload["nonce"], payload["exp"]
    if (
        header.get("typ") != _TYPE
        or payload["sub"] != email
        or not isinstance(nonce, str)
        or not isinstance(expires, int | float)
        or expires <= now.timestamp()
    ):
        return None
    return nonce
