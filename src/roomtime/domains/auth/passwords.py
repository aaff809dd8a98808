"""Password hashing with argon2id (pwdlib's recommended parameters), bounded per process.

One hash costs about 0.1-0.3 s of CPU and 64 MiB, so it runs in a worker thread, never on
the event loop. At most PASSWORD_HASH_CONCURRENCY hashes run at once per process in each of
two lanes: checking a login's password, and hashing a new one (register, reset). Callers
beyond that wait their turn instead of taking every thread and core, and because the lanes
are separate a flood of registrations or resets never queues in front of a login (nor the
reverse).
"""

from __future__ import annotations

from functools import lru_cache

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from pwdlib import PasswordHash

LOGIN_LANE = "login"
NEW_PASSWORD_LANE = "new-password"  # noqa: S105 (a lane name, not a secret)

# Limiters belong to one event loop, so they are kept per loop (as anyio keeps its own).
_LANES: RunVar[dict[str, CapacityLimiter]] = RunVar("roomtime_password_lanes")


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash("roomtime-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash (unknown user) still spend the time of a real check,
    so the response time does not tell whether an account exists."""
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False
    return _hasher().verify(password, password_hash)


def lane(name: str, concurrency: int) -> CapacityLimiter:
    """The limiter of one lane in the running event loop, sized `concurrency`."""
    try:
        lanes = _LANES.get()
    except LookupError:
        lanes = {}
        _LANES.set(lanes)
    limiter = lanes.get(name)
    if limiter is None:
        limiter = lanes[name] = CapacityLimiter(concurrency)
    elif limiter.total_tokens != concurrency:
        limiter.total_tokens = concurrency
    return limiter


async def hash_new_password(password: str, *, concurrency: int) -> str:
    """Hash a password being set (register, reset) in the new-password lane."""
    return await to_thread.run_sync(
        hash_password, password, limiter=lane(NEW_PASSWORD_LANE, concurrency)
    )


async def check_password(password: str, password_hash: str | None, *, concurrency: int) -> bool:
    """Verify a login's password (or spend the same time on a dummy) in the login lane."""
    return await to_thread.run_sync(
        verify_password, password, password_hash, limiter=lane(LOGIN_LANE, concurrency)
    )
