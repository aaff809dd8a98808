"""Hold (R-23): validate, take the Redis fast-path lock, then let PostgreSQL decide.

Per-user caps (R-30) keep one account from hoarding the calendar: holds per minute (Redis
rate limit), live holds, and optionally future bookings per resource (both counted in
PostgreSQL, under a per-user advisory lock, inside the hold's transaction)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.exc import IntegrityError

from roomtime.core import tx
from roomtime.core.contention import busy_on_contention, set_lock_timeout, violates_unique
from roomtime.core.redis.locks import Lock, LockState
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository, rules, states, write_repository
from roomtime.domains.bookings._effects import (
    BookingIO,
    claim,
    count_on_commit,
    invalidate_on_commit,
    overlap_refused,
)
from roomtime.domains.bookings.actors import Actor, BookableResource
from roomtime.domains.bookings.constants import PENDING
from roomtime.domains.bookings.errors import (
    AlreadyBookedError,
    BookingLimitReachedError,
    HoldRateLimitedError,
    PartyTooLargeError,
    SlotsUnavailableError,
    StartsInPastError,
    TooManyHoldsError,
)
from roomtime.domains.bookings.expire import release_expired
from roomtime.domains.bookings.guards import Guards
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.schemas import HoldRequest, SeatHold
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.constants import BOOKING_MODE_EXCLUSIVE
from roomtime.domains.slots import service as slots_service
from roomtime.settings import BookingSettings

log = structlog.get_logger(__name__)

# A hold creates a pending booking and takes its slots (or seats).
HOLDING = states.transition(states.NEW, PENDING, states.USER)


@dataclass(frozen=True, slots=True)
class HoldPlan:
    """What one hold writes: its range, seats, lifetime, slot count and event (if any)."""

    starts: datetime
    ends: datetime
    party_size: int
    ttl_seconds: int
    slot_count: int
    event_id: int | None = None


_ONE_LIVE_PER_EVENT = "uq_booking_one_live_per_event"


@contextmanager
def _one_live_per_event() -> Iterator[None]:
    """The partial unique index's verdict (R-36): a second live booking of one user for one
    event is `already_booked`, however the two requests interleaved."""
    try:
        yield
    except IntegrityError as exc:
        if violates_unique(exc, _ONE_LIVE_PER_EVENT):
            raise AlreadyBookedError("You already have a live booking for this event") from exc
        raise


@dataclass(frozen=True, slots=True)
class HoldDeps:
    io: BookingIO
    settings: BookingSettings
    limiter: RateLimiter
    guards: Guards


async def hold(deps: HoldDeps, actor: Actor, req: HoldRequest) -> Booking:
    """Hold a range for `actor`: a pending booking that expires after the resource's TTL."""
    await _count_attempt(deps, actor)
    return await _hold_prepared(deps, actor, await prepare_hold(deps, req))


async def hold_seats(deps: HoldDeps, actor: Actor, req: SeatHold) -> Booking:
    """Hold seats of an event: the one slot of its hidden shared resource, through the same
    transaction as every hold. The slot grid, opening hours and `max_hold_slots` do not
    apply (the event's domain has checked its own rules); caps, limits and guards do."""
    await _count_attempt(deps, actor)
    session = deps.io.session
    resource = await resources_service.get_facts(session, req.resource_id, include_inactive=True)
    starts, ends = req.starts_at.astimezone(UTC), req.ends_at.astimezone(UTC)
    if starts < deps.io.clock():
        raise StartsInPastError()
    if req.seats > resource.capacity:
        raise PartyTooLargeError(f"seats {req.seats} > capacity {resource.capacity}")
    plan = HoldPlan(starts, ends, req.seats, req.ttl_seconds, 1, event_id=req.event_id)
    lock = await _lock(deps, resource, starts, ends)
    return await _hold_prepared(deps, actor, PreparedHold(resource, plan, lock))


@dataclass(frozen=True, slots=True)
class PreparedHold:
    """A hold checked against the rules, outside any transaction, and its Redis lock."""

    resource: BookableResource
    plan: HoldPlan
    lock: Lock


async def prepare_hold(deps: HoldDeps, req: HoldRequest) -> PreparedHold:
    """Validate the range and take the fast-path lock. The caller releases `lock` if the
    transaction that follows fails (a committed booking releases it on commit)."""
    session = deps.io.session
    starts, ends = req.starts_at.astimezone(UTC), req.ends_at.astimezone(UTC)
    now = deps.io.clock()
    resource, slots = await resources_service.get_facts_and_spans(
        session, req.resource_id, starts, ends
    )
    rules.check_request(
        starts_at=starts,
        ends_at=ends,
        now=now,
        party_size=req.party_size,
        capacity=resource.capacity,
    )
    # Under contention for one range, every request but one is refused by the lock, after
    # a single statement (the resource and the range's slots, read together).
    lock = await _lock(deps, resource, starts, ends)
    try:
        rules.check_hold_range(
            slots,
            starts_at=starts,
            ends_at=ends,
            now=now,
            max_slots=resource.max_hold_slots,
            party_size=req.party_size,
            capacity=resource.capacity,
        )
    except BaseException:
        await deps.io.locks.release(lock)
        raise
    plan = HoldPlan(starts, ends, req.party_size, resource.hold_ttl_seconds, len(slots))
    return PreparedHold(resource, plan, lock)


async def _hold_prepared(deps: HoldDeps, actor: Actor, prepared: PreparedHold) -> Booking:
    try:
        return await _hold_in_transaction(deps, actor, prepared)
    except BaseException:
        await deps.io.locks.release(prepared.lock)
        raise


async def _count_attempt(deps: HoldDeps, user: Actor) -> None:
    # Every attempt counts, refused ones too: the limit protects the server, and a refused
    # hold costs it as much as a granted one.
    decision = await deps.limiter.hit(deps.settings.hold_rate_limit, "hold", str(user.id))
    if not decision.allowed:
        raise HoldRateLimitedError("Too many holds; retry later", retry_after=decision.retry_after)


async def _check_caps_expiring_overdue(
    deps: HoldDeps, user: Actor, plan: HoldPlan, resource_id: int, now: datetime
) -> None:
    """Refuse a hold over the user's caps; expire the overdue holds in its way. Counted in
    this transaction after taking the user's advisory lock: two parallel holds of one user
    are decided one after the other, so neither can slip past a cap the other just
    reached. The live holds are counted by the statement that expires the overdue ones."""
    session, limits = deps.io.session, deps.settings
    await deps.guards.serialise_user_holds(session, user.id)
    # Set already by the user's lock (the first wait), unless a test switched that off.
    await set_lock_timeout(session)
    live, stale = await repository.count_live_holds_expiring_overdue(
        session, user.id, resource_id, plan.starts, plan.ends, now
    )
    if live >= limits.max_live_holds_per_user:
        raise TooManyHoldsError(
            f"You already have {live} live holds; the limit is "
            f"{limits.max_live_holds_per_user} live holds per user. Confirm or cancel "
            "one, or wait until one expires.",
            limit=limits.max_live_holds_per_user,
        )
    cap = limits.max_future_bookings_per_resource
    if cap:
        future = await repository.count_future_bookings(session, user.id, resource_id, now)
        if future >= cap:
            raise BookingLimitReachedError(
                f"You already have {future} upcoming bookings or holds on this resource; the "
                f"limit is {cap} per user and resource.",
                limit=cap,
            )
    await release_expired(deps.io, stale, reason="reclaimed_by_new_hold")


async def _lock(
    deps: HoldDeps, resource: BookableResource, starts: datetime, ends: datetime
) -> Lock:
    key = deps.io.keys.hold_lock(resource.id, starts, ends)
    # Seats of a shared resource are sold to many holders of the same range: the range lock
    # would refuse all but one, so only exclusive resources take it.
    if not deps.guards.use_hold_lock or resource.booking_mode != BOOKING_MODE_EXCLUSIVE:
        return Lock(key, "", LockState.UNAVAILABLE)
    lock = await deps.io.locks.acquire(key, resource.hold_ttl_seconds)
    if lock.state is LockState.TAKEN:
        # Cheap refusal of an identical concurrent hold; overlapping ranges with other keys
        # are refused by the database below.
        raise SlotsUnavailableError("That range is being held by someone else")
    return lock


async def _hold_in_transaction(deps: HoldDeps, user: Actor, prepared: PreparedHold) -> Booking:
    io = deps.io
    async with tx.transactional(io.session):
        booking = await place_hold(deps, user, prepared, io.clock())
    log.info("booking_held", booking_id=booking.id, resource_id=booking.resource_id)
    return booking


async def place_hold(deps: HoldDeps, user: Actor, prepared: PreparedHold, now: datetime) -> Booking:
    """The hold's writes, inside the caller's transaction: caps, expiry of overdue holds in
    the way, the pending booking with its audit row, its slots (or seats)."""
    io, resource, plan = deps.io, prepared.resource, prepared.plan
    with (
        busy_on_contention("Too much contention on this resource"),
        overlap_refused(),
        _one_live_per_event(),
    ):
        await _check_caps_expiring_overdue(deps, user, plan, resource.id, now)
        await deps.guards.race_window()
        booking, changed = await _insert(io, user, prepared, now)
        deps.guards.require_all(
            changed, plan.slot_count, "One or more slots are no longer available"
        )
    count_on_commit(io, "hold")
    invalidate_on_commit(io, booking, resource.timezone)
    return booking


async def _insert(
    io: BookingIO, user: Actor, prepared: PreparedHold, now: datetime
) -> tuple[Booking, int]:
    """The pending booking with its audit row, and its slots (or seats) taken: (the
    booking, how many slots it took). One statement for an exclusive resource."""
    resource, plan, lock = prepared.resource, prepared.plan, prepared.lock
    meta: dict[str, object] = {"resource_id": resource.id, "slots": plan.slot_count}
    if plan.event_id is not None:
        meta.update(event_id=plan.event_id, seats=plan.party_size)
    exclusive = resource.booking_mode == BOOKING_MODE_EXCLUSIVE
    expires_at = now + timedelta(seconds=plan.ttl_seconds)
    values = {
        "user_id": user.id,
        "resource_id": resource.id,
        "starts_at": plan.starts,
        "ends_at": plan.ends,
        "status": PENDING,
        "party_size": plan.party_size,
        "is_exclusive": exclusive,
        "expires_at": expires_at,
        "lock_token": lock.token if lock.state is LockState.ACQUIRED else None,
        "event_id": plan.event_id,
    }
    audited = audit.entry(action="booking.held", entity="booking", actor_user_id=user.id, meta=meta)
    if exclusive:
        slots = slots_service.holding_params(resource.id, plan.starts, plan.ends, expires_at)
        return await write_repository.add_holding(io.session, values, audited=audited, slots=slots)
    booking = await write_repository.add(io.session, values, audited=audited)
    return booking, await slots_service.take(io.session, claim(booking))
