"""Access-token validation matrix on GET /me (ASVS V9, RFC 8725)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest

from roomtime.domains.auth import tokens
from roomtime.domains.auth.tokens import jwt_config
from tests.api.auth.conftest import AuthApp

pytestmark = pytest.mark.api


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _signed_in(auth_app: AuthApp) -> tuple[int, dict[str, str]]:
    user = await auth_app.register("ada@example.com")
    return int(user["id"]), await auth_app.login("ada@example.com")  # type: ignore[arg-type]


def _claims(auth_app: AuthApp, user_id: int, **changes: object) -> dict[str, object]:
    config = jwt_config(auth_app.settings)
    now = auth_app.clock()
    claims: dict[str, object] = {
        "sub": str(user_id),
        "role": "user",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "iss": config.issuer,
        "aud": config.audience,
        "jti": "j1",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


async def _me(auth_app: AuthApp, token: str) -> tuple[int, dict[str, object], str]:
    r = await auth_app.client.get("/me", headers={"Authorization": f"Bearer {token}"})
    return r.status_code, r.json(), r.headers.get("www-authenticate", "")


async def test_a_valid_token_works(auth_app: AuthApp) -> None:
    _, pair = await _signed_in(auth_app)
    status, body, _ = await _me(auth_app, pair["access_token"])
    assert status == 200 and body["email"] == "ada@example.com"


@pytest.mark.parametrize(
    "case",
    [
        "alg_none",
        "foreign_key",
        "expired",
        "not_yet_valid",
        "wrong_aud",
        "wrong_iss",
        "no_typ",
        "jku_header",
        "missing_jti",
        "garbage",
        "refresh_token",
        "reset_like",
    ],
)
async def test_bad_tokens_are_401_invalid_token(auth_app: AuthApp, case: str) -> None:
    user_id, pair = await _signed_in(auth_app)
    secret = jwt_config(auth_app.settings).secret
    typ = {"typ": "at+jwt"}
    now = auth_app.clock()
    forged = {
        "alg_none": _b64({"alg": "none", "typ": "at+jwt"})
        + "."
        + _b64(
            {
                k: (v.timestamp() if hasattr(v, "timestamp") else v)
                for k, v in _claims(auth_app, user_id).items()
            }
        )
        + ".",
        "foreign_key": jwt.encode(_claims(auth_app, user_id), "another-secret-" * 4, "HS256", typ),
        "expired": jwt.encode(
            _claims(auth_app, user_id, exp=now - timedelta(minutes=1)), secret, "HS256", typ
        ),
        "not_yet_valid": jwt.encode(
            _claims(auth_app, user_id, nbf=now + timedelta(minutes=1)), secret, "HS256", typ
        ),
        "wrong_aud": jwt.encode(
            _claims(auth_app, user_id, aud="someone-else"), secret, "HS256", typ
        ),
        "wrong_iss": jwt.encode(_claims(auth_app, user_id, iss="evil"), secret, "HS256", typ),
        "no_typ": jwt.encode(_claims(auth_app, user_id), secret, "HS256"),
        "jku_header": jwt.encode(
            _claims(auth_app, user_id),
            secret,
            "HS256",
            {"typ": "at+jwt", "jku": "https://evil.example/keys"},
        ),
        "missing_jti": jwt.encode(_claims(auth_app, user_id, jti=None), secret, "HS256", typ),
        "garbage": "not-a-jwt",
        "refresh_token": pair["refresh_token"],
        "reset_like": tokens.new_opaque_token(),
    }[case]
    status, body, challenge = await _me(auth_app, forged)
    assert status == 401
    assert body["code"] == "invalid_token"
    assert challenge == 'Bearer error="invalid_token"'


async def test_token_of_a_deactivated_user_stops_working_at_once(auth_app: AuthApp) -> None:
    from sqlalchemy import text

    _, pair = await _signed_in(auth_app)
    async with auth_app.app.state.infra.sessionmaker() as s:
        await s.execute(text("UPDATE user_account SET is_active = false"))
        await s.commit()
    status, body, _ = await _me(auth_app, pair["access_token"])
    assert status == 401 and body["code"] == "invalid_token"


async def test_access_token_expires_with_the_clock(auth_app: AuthApp) -> None:
    _, pair = await _signed_in(auth_app)
    auth_app.clock.advance(seconds=auth_app.settings.auth.access_token_ttl_seconds + 10)
    status, _, _ = await _me(auth_app, pair["access_token"])
    assert status == 401


async def test_access_token_carries_the_required_claims(auth_app: AuthApp) -> None:
    user_id, pair = await _signed_in(auth_app)
    header = jwt.get_unverified_header(pair["access_token"])
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    assert header["typ"] == "at+jwt" and header["alg"] == "HS256"
    assert {"sub", "role", "exp", "iat", "nbf", "jti", "iss", "aud"} <= set(claims)
    assert claims["sub"] == str(user_id) and claims["role"] == "user"
    assert claims["exp"] - claims["iat"] == auth_app.settings.auth.access_token_ttl_seconds


async def test_swagger_has_the_bearer_scheme(auth_app: AuthApp) -> None:
    schema = (await auth_app.client.get("/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    assert schema["paths"]["/me"]["get"]["security"]


async def test_a_remembered_token_is_still_checked_for_time_and_every_byte(
    auth_app: AuthApp,
) -> None:
    # Verified tokens are remembered by the process (tokens._verified): what is remembered
    # is the signature check, never the time check, and only for that exact text.
    _, pair = await _signed_in(auth_app)
    token = pair["access_token"]
    assert (await _me(auth_app, token))[0] == 200
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert (await _me(auth_app, f"{head}.{payload}.{flipped}"))[0] == 401
    config = jwt_config(auth_app.settings)
    other = tokens.JwtConfig("another-secret-" * 4, config.issuer, config.audience, 60)
    with pytest.raises(tokens.TokenRejectedError):
        tokens.decode_access_token(other, token, now=auth_app.clock())
    assert (await _me(auth_app, token))[0] == 200
    auth_app.clock.advance(seconds=auth_app.settings.auth.access_token_ttl_seconds + 10)
    status, body, _ = await _me(auth_app, token)
    assert (status, body["code"]) == (401, "invalid_token")
