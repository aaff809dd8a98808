"""Access tokens (JWT) and the opaque secrets used for refresh and password reset.

Access tokens are explicitly typed (`typ: at+jwt`, RFC 9068) and checked for signature,
algorithm (HS256 only, so `none` and key confusion are refused), `exp`, `nbf`, `iat`, `iss`,
`aud`, `sub` and `jti`. Refresh and reset tokens are random strings, not JWTs, so one of them
presented as a bearer token can never validate.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

import jwt

from roomtime.settings import Settings

ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 (a media type, not a secret)
_FORBIDDEN_HEADERS = ("jku", "jwk", "x5u", "x5c", "kid")
_REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    role: str
    jti: str
    expires_at: datetime


@dataclass(frozen=True)
class JwtConfig:
    secret: str
    issuer: str
    audience: str
    ttl_seconds: int


def jwt_config(settings: Settings) -> JwtConfig:
    return JwtConfig(
        secret=settings.resolved_jwt_secret(),
        issuer=settings.auth.jwt_issuer,
        audience=settings.auth.jwt_audience,
        ttl_seconds=settings.auth.access_token_ttl_seconds,
    )


class TokenRejectedError(Exception):
    """The token is not a valid access token (the reason is for logs only)."""


def issue_access_token(config: JwtConfig, *, user_id: int, role: str, now: datetime) -> str:
    claims = {
        "sub": str(user_id),
        "role": role,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=config.ttl_seconds),
        "iss": config.issuer,
        "aud": config.audience,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(
        claims, config.secret, algorithm=ALGORITHM, headers={"typ": ACCESS_TOKEN_TYPE}
    )


# Verified tokens remembered by the process. A client sends the same access token with
# every request for its lifetime, and PyJWT's checks (base64 and JSON of both parts, the key's
# preparation, the signature, the claims) were a tenth of an authenticated write's CPU. What
# is remembered depends only on the token's text and the configuration it was checked
# against, both part of the key: a token differing in any byte (a forged signature) is
# checked afresh, and a rejected one is never remembered. The time claims are checked on
# every call below, against the caller's clock.
_VERIFIED_TOKENS = 4096


@functools.lru_cache(maxsize=_VERIFIED_TOKENS)
def _verified(
    token: str, secret: str, issuer: str, audience: str
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    decoded = jwt.decode_complete(
        token,
        secret,
        algorithms=[ALGORITHM],
        audience=audience,
        issuer=issuer,
        options={
            "require": _REQUIRED_CLAIMS,
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
        },
    )
    # Read-only: every later caller of the same token gets these very objects.
    return MappingProxyType(decoded["header"]), MappingProxyType(decoded["payload"])


def decode_access_token(config: JwtConfig, token: str, *, now: datetime) -> AccessClaims:
    try:
        header, payload = _verified(token, config.secret, config.issuer, config.audience)
    except jwt.PyJWTError as exc:
        raise TokenRejectedError(type(exc).__name__) from exc
    if header.get("typ") != ACCESS_TOKEN_TYPE:
        raise TokenRejectedError("wrong token type")
    if any(name in header for name in _FORBIDDEN_HEADERS):
        raise TokenRejectedError("untrusted key header")
    # Time claims are checked against the injected clock, not the machine's, so tests can
    # move time; 5 s of leeway absorbs clock skew between instances.
    stamp = now.timestamp()
    if payload["exp"] <= stamp - 5 or payload["nbf"] > stamp + 5:
        raise TokenRejectedError("expired or not yet valid")
    try:
        user_id = int(payload["sub"])
    except (TypeError, ValueError) as exc:
        raise TokenRejectedError("bad subject") from exc
    return AccessClaims(
        user_id=user_id,
        role=str(payload.get("role")),
        jti=str(payload["jti"]),
        expires_at=datetime.fromtimestamp(payload["exp"], tz=now.tzinfo),
    )


def new_opaque_token() -> str:
    """256 random bits, URL-safe: for refresh and password-reset tokens."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # A plain SHA-256 is enough for 256-bit random secrets (ASVS 6.5.2): no dictionary to try.
    return hashlib.sha256(token.encode()).hexdigest()


def mailed_link(settings: Settings, page: str, token: str) -> str:
    """The link a mail carries to `page` with `token`: from PUBLIC_BASE_URL (or HOST:PORT in
    development), never from a request's Host header, which a client chooses."""
    return f"{settings.app.link_base_url}/{page}?{urlencode({'token': token})}"
