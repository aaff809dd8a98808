"""FastAPI dependencies: the authenticated user, the role checks (R-29) and the
dependencies object of each auth use case, built from the app's Infrastructure.

The user row is loaded on every request, so a deactivated account or a demoted admin loses
access at once, not when the access token expires.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Protocol, TypeVar

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.api.deps import ClockDep, InfraDep, SessionDep, SettingsDep
from roomtime.core.clock import Clock
from roomtime.domains.auth import tokens
from roomtime.domains.auth.errors import (
    AdminRequiredError,
    EmailNotVerifiedError,
    InvalidTokenError,
    NotAuthenticatedError,
    SpecialistRequiredError,
)
from roomtime.domains.auth.service import (
    AccountUpdateDeps,
    ForgotDeps,
    LoginDeps,
    LogoutDeps,
    RefreshDeps,
    RegisterDeps,
    ResendDeps,
    ResetDeps,
    VerifyDeps,
)
from roomtime.domains.users import service as users_service
from roomtime.domains.users.constants import ROLE_ADMIN, ROLE_SPECIALIST
from roomtime.domains.users.models import User
from roomtime.domains.users.service import Caller
from roomtime.settings import Settings

log = structlog.get_logger(__name__)

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /auth/login")
_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class _Account(Protocol):
    @property
    def email_verified(self) -> bool: ...


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


# A User row or a Caller: the checks below read only what both have.
_U = TypeVar("_U", bound=_Account)
_A = TypeVar("_A", bound=_Identified)

BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def optional_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    credentials: BearerDep,
) -> User | None:
    return await user_from_credentials(request, session, settings, clock, credentials)


async def user_from_credentials(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    credentials: HTTPAuthorizationCredentials | None,
) -> User | None:
    """The caller of a bearer token (None without one): what `optional_user` resolves, for
    a route that opens its session only when it needs one."""
    return await _account_of(
        request, settings, clock, credentials, lambda uid: users_service.find_active(session, uid)
    )


async def caller_from_credentials(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    credentials: HTTPAuthorizationCredentials | None,
) -> Caller | None:
    """The same checks as `user_from_credentials`, answered with the few columns the hot
    routes read (users.service.Caller) in one raw statement instead of an ORM object."""
    return await _account_of(
        request,
        settings,
        clock,
        credentials,
        lambda uid: users_service.find_active_caller(session, uid),
    )


async def _account_of(
    request: Request,
    settings: Settings,
    clock: Clock,
    credentials: HTTPAuthorizationCredentials | None,
    find_active: Callable[[int], Awaitable[_A | None]],
) -> _A | None:
    """The active account a valid token names (as `find_active` reads it), bound to the
    request and its log lines; 401 for a bad token or an account that is gone or inactive."""
    if credentials is None:
        return None
    account = await find_active(_token_user_id(settings, clock, credentials))
    if account is None:
        raise InvalidTokenError(headers=_INVALID)
    request.scope.setdefault("state", {})["user_id"] = account.id
    structlog.contextvars.bind_contextvars(user_id=account.id)
    return account


def _token_user_id(
    settings: Settings, clock: Clock, credentials: HTTPAuthorizationCredentials
) -> int:
    try:
        claims = tokens.decode_access_token(
            tokens.jwt_config(settings), credentials.credentials, now=clock()
        )
    except tokens.TokenRejectedError as exc:
        log.info("access_token_rejected", reason=str(exc))
        raise InvalidTokenError(headers=_INVALID) from exc
    return claims.user_id


def signed_in(user: _U | None) -> _U:
    """The caller, or 401 without a token."""
    if user is None:
        raise NotAuthenticatedError(headers={"WWW-Authenticate": "Bearer"})
    return user


def verified(user: _U, settings: Settings) -> _U:
    """The caller, who must have proven their address when REQUIRE_VERIFIED_EMAIL is on
    (SPEC R-33): booking is refused to accounts nobody has shown to be reachable."""
    if settings.email_verification_required and not user.email_verified:
        raise EmailNotVerifiedError(
            "Confirm your email address first: open the link we mailed you, or ask for a "
            "new one with POST /auth/verify/resend"
        )
    return user


@asynccontextmanager
async def caller_session(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> AsyncIterator[tuple[AsyncSession, Caller | None]]:
    """A session and the caller of the bearer token on it (None without one), for a hot
    route that takes them in one dependency or in its body rather than through a tree of
    dependencies (session, user, settings, clock): FastAPI solves every node on every
    request, which cost those routes more than their query. The caller is read raw
    (`caller_from_credentials`): its read opens no transaction, so a request refused
    before it writes (a hold whose range another request is holding) costs no BEGIN and
    ROLLBACK."""
    state = request.app.state
    async with state.infra.sessionmaker() as session:
        yield (
            session,
            await caller_from_credentials(
                request, session, state.settings, state.clock, credentials
            ),
        )


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    return signed_in(user)


async def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != ROLE_ADMIN:
        raise AdminRequiredError()
    return user


async def specialist_user(user: Annotated[User, Depends(current_user)]) -> User:
    """A specialist (who manages their own calendar) or an admin (who may manage anyone's)."""
    if user.role not in (ROLE_SPECIALIST, ROLE_ADMIN):
        raise SpecialistRequiredError()
    return user


async def verified_user(
    user: Annotated[User, Depends(current_user)], settings: SettingsDep
) -> User:
    return verified(user, settings)


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]
AdminUser = Annotated[User, Depends(admin_user)]
SpecialistUser = Annotated[User, Depends(specialist_user)]
VerifiedUser = Annotated[User, Depends(verified_user)]


async def _register_deps(session: SessionDep, infra: InfraDep) -> RegisterDeps:
    return RegisterDeps(session, infra.settings, infra.clock, infra.limiter, infra.notifier)


async def _login_deps(session: SessionDep, infra: InfraDep) -> LoginDeps:
    return LoginDeps(session, infra.settings, infra.clock, infra.limiter)


async def _refresh_deps(session: SessionDep, infra: InfraDep) -> RefreshDeps:
    return RefreshDeps(session, infra.settings, infra.clock)


async def _logout_deps(session: SessionDep, infra: InfraDep) -> LogoutDeps:
    return LogoutDeps(session, infra.clock)


async def _forgot_deps(session: SessionDep, infra: InfraDep) -> ForgotDeps:
    return ForgotDeps(session, infra.settings, infra.clock, infra.limiter, infra.notifier)


async def _reset_deps(session: SessionDep, infra: InfraDep) -> ResetDeps:
    return ResetDeps(session, infra.settings, infra.clock, infra.limiter, infra.notifier)


async def _verify_deps(session: SessionDep, infra: InfraDep) -> VerifyDeps:
    return VerifyDeps(session, infra.settings, infra.clock)


async def _resend_deps(session: SessionDep, infra: InfraDep) -> ResendDeps:
    return ResendDeps(session, infra.settings, infra.clock, infra.limiter, infra.notifier)


async def _account_update_deps(session: SessionDep, infra: InfraDep) -> AccountUpdateDeps:
    return AccountUpdateDeps(session, infra.clock)


RegisterDepsDep = Annotated[RegisterDeps, Depends(_register_deps)]
LoginDepsDep = Annotated[LoginDeps, Depends(_login_deps)]
RefreshDepsDep = Annotated[RefreshDeps, Depends(_refresh_deps)]
LogoutDepsDep = Annotated[LogoutDeps, Depends(_logout_deps)]
ForgotDepsDep = Annotated[ForgotDeps, Depends(_forgot_deps)]
ResetDepsDep = Annotated[ResetDeps, Depends(_reset_deps)]
VerifyDepsDep = Annotated[VerifyDeps, Depends(_verify_deps)]
ResendDepsDep = Annotated[ResendDeps, Depends(_resend_deps)]
AccountUpdateDepsDep = Annotated[AccountUpdateDeps, Depends(_account_update_deps)]
