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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.redis.idempotency import Flight, InFlightMarkers
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.bookings import repository
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
    return hashlib.sha256(json.dumps({"hold_id": hold_id}, sort_keys=True).encode()).hexdigest()


class _Replayed(Exception):  # noqa: N818 - control flow out of the transaction, never raised further
    def __init__(self, replay: Replay) -> None:
        self.replay = replay


@dataclass
class _Once:
    """The hooks confirm runs under its row lock: replay a committed duplicate, or store
    this outcome (rendered by `render`, exactly as the client receives it)."""

    user_id: int
    key: str
    hold_id: int
    now: datetime
    render: Render

    async def replay_if_done(self, session: AsyncSession) -> None:
        found = await _stored(session, self.user_id, self.key, self.hold_id, self.now)
        if found is not None:
            raise _Replayed(found)

    async def record(self, session: AsyncSession, booking: Booking) -> None:
        values = {
            "user_id": self.user_id,
            "scope": SCOPE,
            "key": self.key,
            "fingerprint": fingerprint(self.hold_id),
            "status_code": 201,
            "response": self.render(booking),
            "created_at": self.now,
            "expires_at": self.now + IDEMPOTENCY_TTL,
        }
        await repository.save_idempotency(session, values)


async def _stored(
    session: AsyncSession, user_id: int, key: str, hold_id: int, now: datetime
) -> Replay | None:
    record = await repository.get_idempotency(session, user_id, SCOPE, key, now)
    if record is None:
        return None
    if record.fingerprint != fingerprint(hold_id):
        raise IdempotencyKeyReusedError("This Idempotency-Key was used for another request")
    return Replay(record.status_code, record.response)


async def confirm_request(
    deps: ConfirmRequestDeps, user: Actor, hold_id: int, raw_key: str | None, render: Render
) -> Booking | Replay:
    """POST /bookings/confirm: rate limit, then confirm once per key (or replay)."""
    # Replays count against the limit too: it protects the server, not the booking.
    decision = await deps.limiter.hit(deps.settings.confirm_rate_limit, "confirm", str(user.id))
    if not decision.allowed:
        raise ConfirmRateLimitedError(
            "Too many confirmations; retry later", retry_after=decision.retry_after
        )
    if raw_key is None:
        return await confirm(deps.confirm, user, hold_id)
    key = parse_idempotency_key(raw_key)
    io = deps.confirm.io
    once = _Once(user.id, key, hold_id, io.clock(), render)
    replay = await _stored(io.session, user.id, key, hold_id, once.now)
    if replay is not None:
        return replay
    marker = io.keys.idempotency(user.id, SCOPE, key)
    flight = await deps.markers.begin(marker)
    if flight is Flight.IN_PROGRESS:
        raise IdempotencyInProgressError(retry_after=1)
    try:
        return await confirm(deps.confirm, user, hold_id, once=once)
    except _Replayed as replayed:
        return replayed.replay
    finally:
        if flight is Flight.STARTED:
            await deps.markers.end(marker)
