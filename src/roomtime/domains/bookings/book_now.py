"""One-step booking (R-35): hold and confirm in ONE transaction, for clients that know what
they want (a service of a specialist, or a range of any resource).

Nothing is written twice: the range is checked and locked as a hold is (`prepare_hold`), the
hold's writes (`place_hold`) and the confirm's (`confirm_held`) run back to back in one
transaction, so every guard of both applies and a failure leaves nothing behind. The
Idempotency-Key handling and the confirm rate limit wrap it from outside, as for confirm, with
their own scope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from roomtime.core import tx
from roomtime.core.contention import busy_on_contention, set_lock_timeout
from roomtime.domains.bookings import idempotency_repository
from roomtime.domains.bookings._effects import overlap_refused
from roomtime.domains.bookings.actors import Actor
from roomtime.domains.bookings.confirm import confirm_held
from roomtime.domains.bookings.hold import HoldDeps, PreparedHold, place_hold, prepare_hold
from roomtime.domains.bookings.idempotent import (
    ConfirmRequestDeps,
    KeyedOnce,
    Render,
    Replay,
    body_fingerprint,
    count_confirmation,
    parse_idempotency_key,
    run_once,
)
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.schemas import HoldRequest

log = structlog.get_logger(__name__)

SCOPE = "bookings.create"

# What to book, worked out when the use case runs (after a replay was ruled out): a service
# booking's range depends on the service as it is then.
Resolve = Callable[[], Awaitable[HoldRequest]]


@dataclass(frozen=True, slots=True)
class BookNowDeps:
    hold: HoldDeps
    request: ConfirmRequestDeps


async def book_now(
    deps: BookNowDeps, actor: Actor, resolve: Resolve, *, once: KeyedOnce | None = None
) -> Booking:
    """Book the range `resolve` names for `actor`: a confirmed booking, or nothing."""
    req = await resolve()
    prepared = await prepare_hold(deps.hold, req)
    try:
        return await _book_in_transaction(deps, actor, req, prepared, once)
    except BaseException:
        await deps.hold.io.locks.release(prepared.lock)
        raise


async def _book_in_transaction(
    deps: BookNowDeps,
    actor: Actor,
    req: HoldRequest,
    prepared: PreparedHold,
    once: KeyedOnce | None,
) -> Booking:
    io = deps.hold.io
    now = io.clock()
    async with tx.transactional(io.session):
        # Every wait of the transaction, the key's lock included, is bounded and answers
        # `busy`; an overlap found by the constraint at any step is `slots_unavailable`.
        with busy_on_contention("Too much contention on this resource"), overlap_refused():
            await set_lock_timeout(io.session)
            if once is not None:
                await idempotency_repository.lock_idempotency_key(
                    io.session, actor.id, once.scope, once.key
                )
                # A duplicate that waited for the key sees the first one's record.
                await once.replay_if_done(io.session)
            booking = await place_hold(deps.hold, actor, prepared, now)
            # Stores the key's outcome with the booking.
            await confirm_held(
                deps.request.confirm, actor, booking, prepared.resource, once, now, as_admin=False
            )
    log.info("booking_booked", booking_id=booking.id, resource_id=booking.resource_id)
    return booking


async def book_request(
    deps: BookNowDeps,
    user: Actor,
    resolve: Resolve,
    *,
    body: dict[str, Any],
    raw_key: str | None,
    render: Render,
) -> Booking | Replay:
    """POST /bookings: the confirm rate limit, then book once per key (or replay).

    `body` is the request as the client sent it: the same key with another body is 422.
    """
    await count_confirmation(deps.request, user)
    if raw_key is None:
        return await book_now(deps, user, resolve)
    key = parse_idempotency_key(raw_key)
    once = KeyedOnce(user.id, key, SCOPE, body_fingerprint(body), deps.hold.io.clock(), render)
    return await run_once(deps.request, once, lambda: book_now(deps, user, resolve, once=once))
