"""/auth/*: register, login, refresh, logout, forgot, reset (SPEC §4), verify (R-33)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response, status

from roomtime.api.deps import ClientIpDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.domains.auth import devices
from roomtime.domains.auth import service as auth
from roomtime.domains.auth.dependencies import (
    CurrentUser,
    ForgotDepsDep,
    LoginDepsDep,
    LogoutDepsDep,
    RefreshDepsDep,
    RegisterDepsDep,
    ResendDepsDep,
    ResetDepsDep,
    VerifyDepsDep,
)
from roomtime.domains.auth.schemas import (
    Accepted,
    ForgotRequest,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    ResetRequest,
    TokenPair,
    VerificationAccepted,
    VerifyRequest,
)
from roomtime.domains.users.schemas import UserRead

router = APIRouter(prefix="/auth", tags=["auth"], responses=COMMON_RESPONSES)

DeviceCookieDep = Annotated[
    str | None,
    Cookie(
        alias=devices.COOKIE_NAME,
        description="The device cookie a previous login on this device set; anything "
        "invalid counts as absent.",
    ),
]
_SET_DEVICE_COOKIE = {
    "Set-Cookie": {
        "description": f"`{devices.COOKIE_NAME}`: a signed device cookie (HttpOnly, "
        f"SameSite=Strict, Path={devices.COOKIE_PATH}, Secure over HTTPS, one year).",
        "schema": {"type": "string"},
    }
}


def _set_device_cookie(response: Response, cookie: devices.DeviceCookie) -> None:
    response.set_cookie(
        devices.COOKIE_NAME,
        cookie.value,
        max_age=cookie.max_age,
        path=devices.COOKIE_PATH,
        secure=cookie.secure,
        httponly=True,
        samesite="strict",
    )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    summary="Create an account",
    description="Emails are case-insensitive. Fields other than email, password and "
    "full_name (such as role) are ignored. The account starts with the user role and an "
    "unconfirmed address: a link to `PUBLIC_BASE_URL/verify?token=…` is mailed to it. An "
    "email listed in ADMIN_EMAILS becomes admin only once that link is used. "
    "REGISTER_RATE_LIMIT (10 an hour) per client IP (IPv6: per /64); 429 carries Retry-After.",
    responses=problem_responses(409, 422, 429),
)
async def register(body: RegisterRequest, deps: RegisterDepsDep, ip: ClientIpDep) -> UserRead:
    return UserRead.model_validate(await auth.register(deps, body, ip=ip))


@router.post(
    "/login",
    response_model=TokenPair,
    summary="Exchange email and password for a token pair",
    description="Limits per client IP (IPv6: per /64): LOGIN_IP_RATE_LIMIT (30 a minute) "
    "across emails, and 5 a minute per email. After 100 failures in an hour an account is "
    "slowed to 2 attempts a minute per client IP (never locked). A successful login sets a "
    "device cookie; a later login for the same email presenting it is never slowed with the "
    "account, but that device is locked out after 10 failures in an hour. 429 carries "
    "Retry-After.",
    responses={
        200: {"headers": _SET_DEVICE_COOKIE},
        **problem_responses(401, 422, 429),
    },
)
async def login(
    body: LoginRequest,
    deps: LoginDepsDep,
    ip: ClientIpDep,
    request: Request,
    response: Response,
    device: DeviceCookieDep = None,
) -> TokenPair:
    result = await auth.login(
        deps,
        body.email,
        body.password,
        ip=ip,
        user_agent=request.headers.get("user-agent"),
        device_cookie=device,
    )
    _set_device_cookie(response, result.device)
    return result.tokens


@router.post(
    "/refresh",
    response_model=TokenPair,
    summary="Rotate a refresh token",
    description="Every refresh token works once. Presenting one that was already rotated "
    "revokes its whole family (401 refresh_token_reused): sign in again.",
    responses=problem_responses(401, 422),
)
async def refresh(
    body: RefreshRequest, deps: RefreshDepsDep, ip: ClientIpDep, request: Request
) -> TokenPair:
    user_agent = request.headers.get("user-agent")
    return await auth.refresh(deps, body.refresh_token, ip=ip, user_agent=user_agent)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the session (refresh-token family) of a refresh token",
    responses=problem_responses(422),
)
async def logout(body: RefreshRequest, deps: LogoutDepsDep) -> Response:
    await auth.logout(deps, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/forgot",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    summary="Email a password-reset link",
    description="Always 202, whether or not the address has an account. 3 requests a minute "
    "per client IP (IPv6: per /64). A new request invalidates the previous link; links live "
    "30 minutes.",
    responses=problem_responses(422, 429),
)
async def forgot(body: ForgotRequest, deps: ForgotDepsDep, ip: ClientIpDep) -> Accepted:
    await auth.forgot(deps, body.email, ip=ip)
    return Accepted()


@router.post(
    "/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a new password with a reset token",
    description="The token works once. A reset signs out every session of the account and "
    "does not sign in: log in with the new password. RESET_RATE_LIMIT (10 an hour) per "
    "client IP (IPv6: per /64); 429 carries Retry-After.",
    responses=problem_responses(400, 422, 429),
)
async def reset(body: ResetRequest, deps: ResetDepsDep, ip: ClientIpDep) -> Response:
    await auth.reset_password(deps, body.token, body.new_password, ip=ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/verify",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Confirm an email address with the token of its verification link",
    description="The token works once and for EMAIL_VERIFICATION_TTL_SECONDS (24 hours). An "
    "address listed in ADMIN_EMAILS makes its account an admin now. An invalid, used or "
    "expired token is 400 `invalid_verification_token`.",
    responses=problem_responses(400, 422),
)
async def verify(body: VerifyRequest, deps: VerifyDepsDep, ip: ClientIpDep) -> Response:
    await auth.verify_email(deps, body.token, ip=ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/verify/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=VerificationAccepted,
    summary="Mail a new verification link to the signed-in account",
    description="The new link replaces the earlier ones. An account whose address is already "
    "confirmed gets 202 and no mail. Limited per account (VERIFY_RESEND_RATE_LIMIT, default "
    "3 an hour); over it, 429 with Retry-After.",
    responses=problem_responses(401, 429),
)
async def resend_verification(
    user: CurrentUser, deps: ResendDepsDep, ip: ClientIpDep
) -> VerificationAccepted:
    await auth.resend_verification(deps, user, ip=ip)
    return VerificationAccepted()
