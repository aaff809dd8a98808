"""Confirm (R-24) with Idempotency-Key: committed outcomes are stored with the booking, in
the same transaction, and replayed; Redis only flags a duplicate that is still running."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from roomtime.core import tx
from roomtime.core.redis.idempotency import Flight
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository
from roomtime.domains.bookings._base import database_guard, facts
from roomtime.domains.bookings._hold import HoldFlows
from roomtime.domains.bookings.constants import CONFIRMED, EXPIRED, PENDING
from roomtime.domains.bookings.errors import (
    BookingNotFoundError,
    BookingNotPendingError,
    ConfirmRateLimitedError,
    HoldExpiredError,
    IdempotencyInProgressError,
    IdempotencyKeyReusedError,
    InvalidIdempotencyKeyError,
    SlotsUnavailableError,
)
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.schemas import BookingRead
from roomtime.domains.notifications import templates
from roomtime.domains.resources import service as resources_service
from roomtime.domains.slots import holds as slot_holds

if TYPE_CHECKING:
    from roomtime.domains.users.models import User

SCOPE = "bookings.confirm"
IDEMPOTENCY_TTL = timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class ConfirmOutcome:
    status_code: int
    body: str  # JSON text, replayed byte for byte
    replayed: bool = False


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


class ConfirmFlows(HoldFlows):
    async def confirm(self, user: User, hold_id: int, raw_key: str | None) -> ConfirmOutcome:
        # Replays count against the limit too: it protects the server, not the booking.
        decision = await self.limiter.hit(
            self.settings.booking.confirm_rate_limit, "confirm", str(user.id)
        )
        if not decision.allowed:
            raise ConfirmRateLimitedError(
                "Too many confirmations; retry later", retry_after=decision.retry_after
            )
        if raw_key is None:
            return await self._confirm_in_transaction(user, hold_id, None)
        key = parse_idempotency_key(raw_key)
        replay = await self._replay(user.id, key, hold_id)
        if replay is not None:
            return replay
        marker = self.keys.idempotency(user.id, SCOPE, key)
        flight = await self.markers.begin(marker)
        if flight is Flight.IN_PROGRESS:
            raise IdempotencyInProgressError(retry_after=1)
        try:
            return await self._confirm_in_transaction(user, hold_id, key)
        finally:
            if flight is Flight.STARTED:
                await self.markers.end(marker)

    async def _replay(self, user_id: int, key: str, hold_id: int) -> ConfirmOutcome | None:
        record = await repository.get_idempotency(self.session, user_id, SCOPE, key, self.clock())
        if record is None:
            return None
        if record.fingerprint != fingerprint(hold_id):
            raise IdempotencyKeyReusedError("This Idempotency-Key was used for another request")
        return ConfirmOutcome(record.status_code, record.response, replayed=True)

    async def _confirm_in_transaction(
        self, user: User, hold_id: int, key: str | None, *, any_owner: bool = False
    ) -> ConfirmOutcome:
        """Confirm `user`'s hold; with `any_owner` (an admin) anyone's, audited as `user`."""
        now = self.clock()
        expired = False
        async with tx.transactional(self.session):
            with database_guard():
                await repository.set_lock_timeout(self.session)
                booking = await repository.get_for_update(
                    self.session, hold_id, owner_id=None if any_owner else user.id
                )
                if booking is None:
                    raise BookingNotFoundError(f"Hold {hold_id} does not exist")
                if key is not None:
                    # A duplicate that waited for our row lock sees the first one's record.
                    replay = await self._replay(user.id, key, hold_id)
                    if replay is not None:
                        return replay
                if booking.status == PENDING and booking.expires_at and booking.expires_at <= now:
                    booking.status = EXPIRED
                    await self.session.flush()
                    await self.release_expired([booking], now, reason="expired_before_confirm")
                    expired = True
                else:
                    outcome = await self._confirm_booking(user, booking, key, now)
                    if key is not None:
                        await self._store(user.id, key, hold_id, outcome, now)
                    return outcome
        if expired:  # the expiry above is committed before the caller hears of it
            raise HoldExpiredError(f"Hold {hold_id} expired; hold the slots again")
        raise AssertionError("unreachable")

    async def _confirm_booking(
        self, user: User, booking: Booking, key: str | None, now: datetime
    ) -> ConfirmOutcome:
        if booking.status == CONFIRMED:
            return ConfirmOutcome(201, _body(booking))  # confirming twice returns the booking
        if booking.status == EXPIRED:
            raise HoldExpiredError(f"Hold {booking.id} expired; hold the slots again")
        if booking.status != PENDING:
            raise BookingNotPendingError(f"Booking {booking.id} is {booking.status}")
        resource = await resources_service.get_resource(
            self.session, booking.resource_id, include_inactive=True
        )
        if booking.is_exclusive:
            expected = len(
                await slot_holds.overlapping(
                    self.session, booking.resource_id, booking.starts_at, booking.ends_at
                )
            )
            booked = await slot_holds.book_held(self.session, booking.id)
            if booked != expected and self.guards_on:
                raise SlotsUnavailableError("The hold no longer owns all its slots")
        booking.status, booking.confirmed_at, booking.expires_at = CONFIRMED, now, None
        booking.idempotency_key = key
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key belongs to another booking"
            ) from exc
        await audit.record(
            self.session,
            action="booking.confirmed",
            entity="booking",
            entity_id=booking.id,
            actor_user_id=user.id,
            meta={
                "idempotency_key_used": key is not None,
                "owner_user_id": booking.user_id,
                "by_admin": user.id != booking.user_id,
            },
        )
        await self.notify_owner(
            booking,
            templates.booking_confirmed(facts(booking, resource)),
            dedupe_key=f"booking_confirmed:{booking.id}",
        )
        self.after_commit_invalidate(booking, resource)
        self.after_commit_release_lock(booking)
        return ConfirmOutcome(201, _body(booking))

    async def _store(
        self, user_id: int, key: str, hold_id: int, outcome: ConfirmOutcome, now: datetime
    ) -> None:
        await repository.save_idempotency(
            self.session,
            {
                "user_id": user_id,
                "scope": SCOPE,
                "key": key,
                "fingerprint": fingerprint(hold_id),
                "status_code": outcome.status_code,
                "response": outcome.body,
                "created_at": now,
                "expires_at": now + IDEMPOTENCY_TTL,
            },
        )


def _body(booking: Booking) -> str:
    return BookingRead.model_validate(booking).model_dump_json()
