"""A Hypothesis state machine over the event use cases on the real PostgreSQL (R-36).

Random interleavings of book, confirm, cancel, waiting past the TTL, the release-holds
sweep, changing the seat total and cancelling the event. A small model predicts every
answer (success or the exact refusal), and after every step the database must agree with
it: the slot's `seats_taken` is exactly the seats of the pending and confirmed bookings,
never negative nor above the total, `available_seats` is what is left, and no user has two
live bookings. Redis points at a closed port: the database alone keeps the invariants.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.core.db import create_engine, create_sessionmaker
from roomtime.core.errors import DomainError
from roomtime.core.redis.cache import RedisCache
from roomtime.core.redis.keys import Keys
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.bookings.cancel import cancel
from roomtime.domains.bookings.confirm import confirm
from roomtime.domains.bookings.factory import BookingWiring, build_booking_wiring
from roomtime.domains.bookings.sweep_holds import release_expired_holds
from roomtime.domains.events import service as events_service
from roomtime.domains.events.schemas import EventCreate, EventUpdate
from roomtime.domains.notifications.senders import FileSender
from roomtime.domains.notifications.service import Notifier
from roomtime.models import metadata
from roomtime.settings import BookingSettings, Settings
from tests.conftest import make_settings
from tests.services import ServiceUrls
from tests.support.processes import closed_port

pytestmark = pytest.mark.integration

START = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)
TTL_MINUTES = 5
USERS = 4
TOTAL = 5


@dataclass
class Model:
    total: int = TOTAL
    cancelled: bool = False
    # booking id → [owner, seats, state, expires_at]
    bookings: dict[int, list[Any]] = field(default_factory=dict)

    def live(self, now: datetime) -> list[list[Any]]:
        return [
            b for b in self.bookings.values()
            if b[2] == "confirmed" or (b[2] == "pending" and b[3] > now)
        ]  # fmt: skip

    def live_seats(self, now: datetime) -> int:
        return sum(b[1] for b in self.live(now))

    def reclaim(self, now: datetime) -> None:
        """Overdue holds a committed write path expired on its way (R-14)."""
        for b in self.bookings.values():
            if b[2] == "pending" and b[3] <= now:
                b[2] = "expired"

    def predict_book(self, who: int, seats: int, now: datetime) -> str | None:
        if self.cancelled:
            return "event_cancelled"
        if seats > self.total:
            return "too_many_seats"
        if any(b[0] == who for b in self.live(now)):
            return "already_booked"
        if self.live_seats(now) + seats > self.total:
            return "sold_out"
        return None

    def predict(self, kind: str, who: int, booking_id: int, now: datetime) -> str | None:
        if booking_id not in self.bookings or self.bookings[booking_id][0] != who:
            return "booking_not_found"
        _, _, state, expires = self.bookings[booking_id]
        if kind == "cancel":
            return "invalid_status_transition" if state == "expired" else None
        if state == "confirmed" or (state == "pending" and expires > now):
            return None
        return "booking_not_pending" if state == "cancelled" else "hold_expired"


@dataclass
class World:
    """One event loop, engine and configuration for every run of the machine."""

    runner: asyncio.Runner
    engine: AsyncEngine
    settings: Settings
    tmp: Path


def _wiring(session: AsyncSession, cfg: Settings, clock: FrozenClock, tmp: Path) -> BookingWiring:
    dead = Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0", socket_connect_timeout=0.2)
    notifier = Notifier(create_sessionmaker(session.bind), FileSender(tmp / "mail", "t@x"), clock)  # type: ignore[arg-type]
    return build_booking_wiring(
        session,
        cfg,
        clock,
        redis=dead,
        limiter=RateLimiter(f"redis://127.0.0.1:{closed_port()}/0", prefix="p"),
        cache=RedisCache(dead, Keys("p")),
        notifier=notifier,
    )


INVARIANTS = {
    "slot seats differ from the seats of pending and confirmed bookings": """
        SELECT count(*) FROM time_slot s JOIN event e ON e.resource_id = s.resource_id
         WHERE s.seats_taken <> (SELECT coalesce(sum(b.party_size), 0) FROM booking b
                                  WHERE b.event_id = e.id
                                    AND b.status IN ('pending', 'confirmed'))""",
    "seats out of bounds": """
        SELECT count(*) FROM time_slot s JOIN event e ON e.resource_id = s.resource_id
         WHERE s.seats_taken < 0 OR s.seats_taken > e.total_seats
            OR s.capacity <> e.total_seats""",
    "two live bookings of one user": """
        SELECT count(*) FROM (SELECT user_id FROM booking
                               WHERE status IN ('pending', 'confirmed') AND event_id IS NOT NULL
                               GROUP BY user_id, event_id HAVING count(*) > 1) AS twice""",
    "live booking on a cancelled event": """
        SELECT count(*) FROM booking b JOIN event e ON e.id = b.event_id
         WHERE e.status = 'cancelled' AND b.status IN ('pending', 'confirmed')""",
}


class EventSeats(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock(START)
        self.model = Model()
        self.run(self._setup())

    def run(self, coro: Any) -> Any:
        return self.world.runner.run(coro)

    async def _setup(self) -> None:
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with self.world.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            ids = [
                (
                    await conn.execute(
                        text(
                            "INSERT INTO user_account (email, password_hash, role) "
                            "VALUES (:e, 'x', :r) RETURNING id"
                        ),
                        {"e": f"p{n}@example.com", "r": "admin" if n == USERS else "user"},
                    )
                ).scalar_one()
                for n in range(USERS + 1)
            ]
        self.users = [SimpleNamespace(id=i, role="user") for i in ids[:USERS]]
        self.admin = SimpleNamespace(id=ids[USERS], role="admin")
        self.session = create_sessionmaker(self.world.engine)()
        self.wiring = _wiring(self.session, self.world.settings, self.clock, self.world.tmp)
        starts = START + timedelta(days=2)
        event = await events_service.create_event(
            self.session,
            EventCreate(
                name="Machine gala",
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                total_seats=TOTAL,
                booking_ttl_minutes=TTL_MINUTES,
            ),
            actor_user_id=self.admin.id,
            now=self.clock(),
        )
        self.event_id = event.id

    def teardown(self) -> None:
        self.run(self.wiring.io.notifier.drain())
        self.run(self.session.close())

    async def _attempt(self, coro: Any) -> tuple[Any, str | None]:
        try:
            result = await coro
        except DomainError as exc:
            await self.session.rollback()
            return None, exc.code
        await self.session.rollback()  # end any read transaction the call left open
        return result, None

    @rule(who=st.integers(0, USERS - 1), seats=st.integers(1, 3))
    def book(self, who: int, seats: int) -> None:
        now = self.clock()
        expected = self.model.predict_book(who, seats, now)
        booking, code = self.run(
            self._attempt(
                events_service.book_event(
                    self.wiring.hold_deps(), self.users[who], self.event_id, seats
                )
            )
        )
        assert code == expected, f"book {seats} by {who}: got {code}, want {expected}"
        if code is None:
            self.model.reclaim(now)
            self.model.bookings[booking.id] = [who, seats, "pending", booking.expires_at]

    def _target(self, pick: int) -> int:
        known = sorted(self.model.bookings)
        return known[pick % len(known)] if known and pick < 8 else 1_000_000 + pick

    @rule(who=st.integers(0, USERS - 1), pick=st.integers(0, 9))
    def confirm(self, who: int, pick: int) -> None:
        booking_id, now = self._target(pick), self.clock()
        expected = self.model.predict("confirm", who, booking_id, now)
        _, code = self.run(
            self._attempt(confirm(self.wiring.confirm_deps(), self.users[who], booking_id))
        )
        assert code == expected, f"confirm {booking_id} by {who}: got {code}, want {expected}"
        if code is None:
            self.model.bookings[booking_id][2] = "confirmed"
        elif code == "hold_expired":
            self.model.bookings[booking_id][2] = "expired"

    @rule(who=st.integers(0, USERS - 1), pick=st.integers(0, 9))
    def cancel(self, who: int, pick: int) -> None:
        booking_id, now = self._target(pick), self.clock()
        expected = self.model.predict("cancel", who, booking_id, now)
        _, code = self.run(self._attempt(cancel(self.wiring.io, self.users[who], booking_id)))
        assert code == expected, f"cancel {booking_id} by {who}: got {code}, want {expected}"
        if code is None:
            self.model.bookings[booking_id][2] = "cancelled"

    @rule(seconds=st.sampled_from([60, 200, 301]))
    def wait(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)

    @rule()
    def sweep(self) -> None:
        self.run(release_expired_holds(self.wiring.io))
        self.model.reclaim(self.clock())

    @rule(total=st.integers(1, 6))
    def change_total(self, total: int) -> None:
        now = self.clock()
        if self.model.cancelled:
            expected: str | None = "event_cancelled"
        else:
            expected = "seats_below_booked" if self.model.live_seats(now) > total else None
        _, code = self.run(
            self._attempt(
                events_service.update_event(
                    self.wiring.io,
                    self.event_id,
                    EventUpdate(total_seats=total),
                    actor_user_id=self.admin.id,
                )
            )
        )
        assert code == expected, f"total {total}: got {code}, want {expected}"
        if code is None:
            self.model.total = total
            self.model.reclaim(now)

    @rule(data=st.data())
    def cancel_event(self, data: st.DataObject) -> None:
        # Rare, so most histories keep selling.
        if data.draw(st.integers(0, 9)) != 0:
            return
        now = self.clock()
        _, code = self.run(
            self._attempt(
                events_service.cancel_event(self.wiring.io, self.admin, self.event_id, "Storm")
            )
        )
        assert code is None, code
        if not self.model.cancelled:
            self.model.reclaim(now)
            for b in self.model.bookings.values():
                if b[2] in ("pending", "confirmed"):
                    b[2] = "cancelled"
        self.model.cancelled = True

    @invariant()
    def database_agrees(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        for name, sql in INVARIANTS.items():
            assert await self.session.scalar(text(sql)) == 0, name
        now = self.clock()
        shown = await events_service.read_event(self.session, self.event_id, now)
        await self.session.rollback()
        assert shown.total_seats == self.model.total
        assert shown.available_seats == self.model.total - self.model.live_seats(now)
        assert 0 <= shown.available_seats <= self.model.total  # type: ignore[operator]
        assert shown.status == ("cancelled" if self.model.cancelled else "scheduled")


def test_event_seats_state_machine(services: ServiceUrls, tmp_path: Path) -> None:
    # The per-user caps have tests of their own; the model knows only about seats.
    cfg = make_settings(
        services,
        tmp_path,
        booking=BookingSettings(
            confirm_rate_limit="10000/minute",
            hold_rate_limit="10000/minute",
            max_live_holds_per_user=1000,
        ),
    )
    with asyncio.Runner() as runner:
        engine = create_engine(cfg)
        EventSeats.world = World(runner, engine, cfg, tmp_path)
        try:
            run_state_machine_as_test(
                EventSeats,
                settings=settings(
                    max_examples=40,
                    stateful_step_count=25,
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture],
                ),
            )
        finally:
            runner.run(engine.dispose())
