"""Login (R-28, R-30): limits before any hashing, device cookies against targeted lockout.

Every login counts against LOGIN_IP_RATE_LIMIT per client network (address, or /64 for
IPv6) across emails and 5/min per client network + email. Once an account has had 100
failures in an hour it is slowed down, and then:
- a login with a valid device cookie for the email is judged by that device alone: it is
  locked out after 10 failures in an hour, and never counts against the account;
- any other login is held to 2/min per client network + email.
So an attacker's addresses stay slowed while the owner, from another address or from a
device that signed in before, gets in at the first try.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.auth import constants, devices
from roomtime.domains.auth._limits import limit_client
from roomtime.domains.auth._sessions import issue_pair
from roomtime.domains.auth.errors import InvalidCredentialsError, TooManyAttemptsError
from roomtime.domains.auth.passwords import check_password
from roomtime.domains.auth.schemas import TokenPair
from roomtime.domains.users import service as users_service
from roomtime.settings import Settings

log = structlog.get_logger(__name__)

_SLOW_DOWN = "Too many login attempts"


@dataclass(frozen=True, slots=True)
class LoginDeps:
    session: AsyncSession
    settings: Settings
    clock: Clock
    limiter: RateLimiter


@dataclass(frozen=True)
class LoginResult:
    tokens: TokenPair
    device: devices.DeviceCookie  # a fresh device cookie for the client


async def login(
    deps: LoginDeps,
    email: str,
    password: str,
    *,
    ip: str,
    user_agent: str | None,
    device_cookie: str | None = None,
) -> LoginResult:
    email = users_service.normalise_email(email)
    device = devices.device_of(deps.settings, device_cookie, email=email, now=deps.clock())
    # Limits come first: a throttled guess never reaches the (expensive) password hash.
    await _enforce_login_limits(deps, email, ip, device)
    user = await users_service.find_by_email(deps.session, email)
    checked_hash = user.password_hash if user else None
    # End the read before hashing, so the connection goes back to the pool instead of
    # idling in a transaction; the row stays usable (no expiry on commit).
    await deps.session.commit()
    ok = await check_password(
        password, checked_hash, concurrency=deps.settings.auth.password_hash_concurrency
    )
    if user is None or not ok or not user.is_active:
        await _count_failure(deps.limiter, email, device)
        log.info("login_failed", reason="credentials", known=user is not None, ip=ip)
        raise InvalidCredentialsError("Invalid email or password")
    now = deps.clock()
    async with tx.transactional(deps.session):
        # Under the account lock, so a reset or deactivation committed since the check
        # wins: the old password or a closed account issues no session.
        current = await users_service.lock_user(deps.session, user.id)
        if current is None or not current.is_active or current.password_hash != checked_hash:
            raise InvalidCredentialsError("Invalid email or password")
        pair = await issue_pair(
            deps.session, deps.settings, current, now=now, ip=ip, user_agent=user_agent
        )
    log.info("login_succeeded", user_id=user.id, ip=ip, known_device=device is not None)
    return LoginResult(pair, devices.issue(deps.settings, email=email, now=now))


async def _enforce_login_limits(deps: LoginDeps, email: str, ip: str, device: str | None) -> None:
    auth, limiter = deps.settings.auth, deps.limiter
    await limit_client(limiter, auth.login_ip_rate_limit, "login-ip", ip, message=_SLOW_DOWN)
    await limit_client(limiter, constants.LOGIN_LIMIT, "login", ip, email, message=_SLOW_DOWN)
    if device is not None:
        await _refuse_locked_device(limiter, device, ip)
    elif await limiter.exhausted(constants.ACCOUNT_FAILURE_BUDGET, "account", email):
        # Slowed per client network, not per account: the attacker cannot spend the
        # owner's attempts.
        await limit_client(
            limiter, constants.ACCOUNT_SLOWED_LIMIT, "slowed", ip, email, message=_SLOW_DOWN
        )


async def _refuse_locked_device(limiter: RateLimiter, device: str, ip: str) -> None:
    locked = await limiter.check(constants.DEVICE_FAILURE_BUDGET, "device", device)
    if not locked.allowed:
        log.warning("login_device_locked_out", ip=ip)
        raise TooManyAttemptsError(
            "Too many failed logins from this device; retry later",
            retry_after=locked.retry_after,
        )


async def _count_failure(limiter: RateLimiter, email: str, device: str | None) -> None:
    # A known device's failures count against that device only (OWASP: lock out the
    # device, not the account); anyone else's against the account's budget.
    if device is not None:
        await limiter.hit(constants.DEVICE_FAILURE_BUDGET, "device", device)
    else:
        await limiter.hit(constants.ACCOUNT_FAILURE_BUDGET, "account", email)
