"""Confirm with an Idempotency-Key (R-24), wrapped around the confirm use case.

The committed outcome is stored in PostgreSQL with the booking, in the same transaction, as
the exact bytes sent, and replayed byte for byte (`Idempotent-Replayed: true`); Redis only
flags a duplicate that is still running (409 `idempotency_in_progress`). The same key with
another body is 422 `idempotency_key_reused`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.redis.idempotency import Flight, InFlightMarkers
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.bookings import idempotency_repository
from roomtime.domains.bookings.actors import Actor
from roomtime.domains.bookings.confirm import ConfirmDeps, confirm
from roomtime.domains.bookings.errors import (
    ConfirmRateLimitedError,
    IdempotencyInProgressError,
    IdempotencyKeyReusedError,
    InvalidIdempotencyKeyError,
)
from roomtime.domains.bookings.models import Booking
from roomtime.settings import BookingSettings

SCOPE = "bookings.confirm"
IDEMPOTENCY_TTL = timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

Render = Callable[[Booking], str]


@dataclass(frozen=True, slots=True)
class ConfirmRequestDeps:
    confirm: ConfirmDeps
    settings: BookingSettings
    limiter: RateLimiter
    markers: InFlightMarkers


@dataclass(frozen=True, slots=True)
class Replay:
    """A response committed earlier for the same key and body, to be sent again as is."""

    status_code: int
    body: str


def parse_idempotency_key(raw: str) -> str:
    """Accept a bare key or an RFC 8941 quoted string (`"abc"`); both name the same key."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not _KEY.match(key):
        raise InvalidIdempotencyKeyError("Idempotency-Key must be 1–255 visible ASCII characters")
    return key


def fingerprint(hold_id: int) -> str:
    return body_fingerprint({"hold_id": hold_id})


def body_fingerprint(body: dict[str, object]) -> str:
    """The identity of a request body: the same key with another body is refused."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class Replayed(Exception):  # noqa: N818 - control flow out of the transaction, never raised further
    def __init__(self, replay: Replay) -> None:
        self.replay = replay


@dataclass
class KeyedOnce:
    """The hooks a keyed use case runs inside its transaction: replay a committed
    duplicate, or store this outcome (rendered by `render`, exactly as the client receives
    it). `scope` keeps the keys of different routes apart."""

    user_id: int
    key: str
    scope: str
    fingerprint: str
    now: datetime
    render: Render

    async def replay_if_done(self, session: AsyncSession) -> None:
        found = await stored_replay(session, self)
        if found is not None:
            raise Replayed(found)

    async def record(self, session: AsyncSession, booking: Booking) -> None:
        await idempotency_repository.save_idempotency(session, self.outcome(booking))

    def outcome(self, booking: Booking) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "scope": self.scope,
            "key": self.key,
            "fingerprint": self.fingerprint,
            "status_code": 201,
            "response": self.render(booking),
            "created_at": self.now,
            "expires_at": self.now + IDEMPOTENCY_TTL,
        }


async def stored_replay(session: AsyncSession, once: KeyedOnce) -> Replay | None:
    record = await idempotency_repository.find_replay(
        session, once.user_id, once.scope, once.key, once.now
    )
    if record is None:
        return None
    if record["fingerprint"] != once.fingerprint:
        raise IdempotencyKeyReusedError("This Idempotency-Key was used for another request")
    return Replay(record["status_code"], record["response"])


async def count_confirmation(deps: ConfirmRequestDeps, user: Actor) -> None:
    """The confirm rate limit (R-30); one-step bookings count against it too."""
    # Replays count against the limit too: it protects the server, not the booking.
    decision = await deps.limiter.hit(deps.settings.confirm_rate_limit, "confirm", str(user.id))
    if not decision.allowed:
        raise ConfirmRateLimitedError(
            "Too many confirmations; retry later", retry_after=decision.retry_after
        )


async def run_once(
    deps: ConfirmRequestDeps,
    once: KeyedOnce,
    use_case: Callable[[], Awaitable[Booking]],
    *,
    look_first: bool = True,
) -> Booking | Replay:
    """Run a keyed use case at most once per key: replay a committed outcome, refuse a
    duplicate still running (409), else run it (its transaction calls `once`'s hooks).

    `look_first=False` skips the look for a committed outcome before the use case, for a
    use case whose transaction looks before it does anything that could refuse a replay
    (confirm: right after locking the hold, or on finding none). That look is the one
    that counts in any case (a duplicate waits for the first one's lock, then sees its
    record), so the first request of a key spares a round trip. A replay then arriving
    while the first request, though committed, has not answered yet is refused as still
    running (409, Retry-After: 1), as one a moment earlier would have been.
    """
    io = deps.confirm.io
    if look_first:
        replay = await stored_replay(io.session, once)
        if replay is not None:
            return replay
    marker = io.keys.idempotency(once.user_id, once.scope, once.key)
    flight = await deps.markers.begin(marker)
    if flight is Flight.IN_PROGRESS:
        raise IdempotencyInProgressError(retry_after=1)
    try:
        return await use_case()
    except Replayed as replayed:
        return replayed.replay
    finally:
        if flight is Flight.STARTED:
            await deps.markers.end(marker)


async def confirm_request(
    deps: ConfirmRequestDeps, user: Actor, hold_id: int, raw_key: str | None, render: Render
) -> Booking | Replay:
    """POST /bookings/confirm: rate limit, then confirm once per key (or replay)."""
    await count_confirmation(deps, user)
    if raw_key is None:
        return await confirm(deps.confirm, user, hold_id)
    key = parse_idempotency_key(raw_key)
    once = KeyedOnce(user.id, key, SCOPE, fingerprint(hold_id), deps.confirm.io.clock(), render)
    return await run_once(
        deps, once, lambda: confirm(deps.confirm, user, hold_id, once=once), look_first=False
    )
