"""Property-based: random hold/confirm/cancel/expire sequences against the booking service,
on the real database, checking the invariants of R-11..R-14 after every step.

Redis is pointed at a closed port on purpose: the database guard alone must keep them.
A small model predicts whether each hold must succeed, so R-14 ("an expired hold blocks
nobody") is checked as an outcome, not only as a state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.core.db import create_sessionmaker
from roomtime.core.errors import DomainError
from roomtime.core.redis.cache import RedisCache
from roomtime.core.redis.idempotency import InFlightMarkers
from roomtime.core.redis.keys import Keys
from roomtime.core.redis.locks import HoldLocks
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.bookings.schemas import HoldRequest
from roomtime.domains.bookings.service import BookingService
from roomtime.domains.notifications.senders import FileSender
from roomtime.domains.notifications.service import Notifier
from roomtime.models import metadata
from roomtime.settings import BookingSettings, Settings
from tests.conftest import make_settings
from tests.factories import rows
from tests.factories.resources import make_resource
from tests.services import ServiceUrls
from tests.support.processes import closed_port

pytestmark = pytest.mark.integration

START = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)
FIRST_SLOT = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
SLOTS = 6
TTL = 300

Op = tuple[str, int, int, int]  # (kind, user, a, b)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), st.integers(0, 2), st.integers(0, SLOTS - 1), st.integers(1, 3)),
        st.tuples(st.just("confirm"), st.integers(0, 2), st.integers(0, 7), st.just(0)),
        st.tuples(st.just("cancel"), st.integers(0, 2), st.integers(0, 7), st.just(0)),
        st.tuples(st.just("wait"), st.just(0), st.sampled_from([60, 200, 301]), st.just(0)),
    ),
    min_size=1,
    max_size=20,
)


@dataclass
class Model:
    """Which bookings should be live: id → (user, first slot, last slot + 1, state, expires)."""

    bookings: dict[int, tuple[int, int, int, str, datetime]] = field(default_factory=dict)

    def live(self, now: datetime) -> list[tuple[int, int]]:
        return [
            (a, b)
            for _, a, b, state, expires in self.bookings.values()
            if state == "confirmed" or (state == "pending" and expires > now)
        ]

    def free(self, a: int, b: int, now: datetime) -> bool:
        return all(b <= x or y <= a for x, y in self.live(now))


def _service(session: AsyncSession, cfg: Settings, clock: FrozenClock, tmp: Path) -> BookingService:
    dead = Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0", socket_connect_timeout=0.2)
    notifier = Notifier(create_sessionmaker(session.bind), FileSender(tmp / "mail", "t@x"), clock)  # type: ignore[arg-type]
    return BookingService(
        session,
        cfg,
        clock,
        limiter=RateLimiter(f"redis://127.0.0.1:{closed_port()}/0", prefix="p"),
        locks=HoldLocks(dead),
        markers=InFlightMarkers(dead),
        cache=RedisCache(dead, Keys("p")),
        notifier=notifier,
    )


INVARIANTS = {
    "R-11 active bookings overlap": """
        SELECT count(*) FROM booking a JOIN booking b ON a.id < b.id
         AND a.resource_id = b.resource_id
         AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
         WHERE a.status IN ('pending','confirmed') AND b.status IN ('pending','confirmed')""",
    "R-12 held slot without its pending booking": """
        SELECT count(*) FROM time_slot s LEFT JOIN booking b ON b.id = s.booking_id
         WHERE s.status = 'held' AND (b.id IS NULL OR b.status <> 'pending')""",
    "R-12 booked slot without its confirmed booking": """
        SELECT count(*) FROM time_slot s LEFT JOIN booking b ON b.id = s.booking_id
         WHERE s.status = 'booked' AND (b.id IS NULL OR b.status <> 'confirmed')""",
    "R-12 available slot still linked": """
        SELECT count(*) FROM time_slot WHERE status = 'available' AND booking_id IS NOT NULL""",
    "R-12 active booking missing a slot": """
        SELECT count(*) FROM booking b JOIN time_slot s ON s.resource_id = b.resource_id
         AND s.starts_at >= b.starts_at AND s.starts_at < b.ends_at
         WHERE b.status IN ('pending','confirmed') AND s.booking_id IS DISTINCT FROM b.id""",
}


async def _check(session: AsyncSession) -> None:
    for name, sql in INVARIANTS.items():
        assert await session.scalar(text(sql)) == 0, name


async def _apply(
    op: Op, svc: BookingService, users: list[object], room: int, model: Model, clock: FrozenClock
) -> None:
    kind, who, a, b = op
    user = users[who]
    if kind == "wait":
        clock.advance(seconds=a)
        return
    if kind == "hold":
        end = min(a + b, SLOTS)
        predicted = model.free(a, end, clock())
        req = HoldRequest(
            resource_id=room,
            starts_at=FIRST_SLOT + timedelta(hours=a),
            ends_at=FIRST_SLOT + timedelta(hours=end),
        )
        try:
            booking = await svc.hold(user, req)  # type: ignore[arg-type]
        except DomainError as exc:
            assert not predicted, f"hold {a}-{end} refused ({exc.code}) though free"
            return
        assert predicted, f"hold {a}-{end} granted over a live booking"
        model.bookings[booking.id] = (who, a, end, "pending", booking.expires_at)  # type: ignore[arg-type]
        return
    if a not in model.bookings:
        return
    owner, x, y, state, expires = model.bookings[a]
    try:
        if kind == "confirm":
            await svc.confirm(user, a, None)  # type: ignore[arg-type]
            model.bookings[a] = (owner, x, y, "confirmed", expires)
            assert owner == who and (
                state == "confirmed" or (state == "pending" and expires > clock())
            )
        else:
            await svc.cancel(user, a)  # type: ignore[arg-type]
            model.bookings[a] = (owner, x, y, "cancelled", expires)
    except DomainError:
        if kind == "confirm" and state == "pending" and expires <= clock():
            model.bookings[a] = (owner, x, y, "expired", expires)


@given(sequence=ops)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
async def test_random_histories_keep_the_invariants(
    sequence: list[Op], engine: AsyncEngine, services: ServiceUrls, tmp_path: Path
) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    # The per-user caps have tests of their own; here they would refuse holds the model
    # (which knows only about overlaps) predicts to succeed.
    cfg = make_settings(
        services,
        tmp_path,
        booking=BookingSettings(
            confirm_rate_limit="10000/minute",
            hold_rate_limit="10000/minute",
            max_live_holds_per_user=1000,
        ),
    )
    clock = FrozenClock(START)
    async with create_sessionmaker(engine)() as session:
        # Plain stand-ins: ORM rows would expire on every rolled-back (refused) operation.
        users = [SimpleNamespace(id=(await rows.user(session)).id, role="user") for _ in range(3)]
        await session.commit()
        room = (await make_resource(session, clock, horizon_days=1, hold_ttl_seconds=TTL)).id
        svc = _service(session, cfg, clock, tmp_path)
        model = Model()
        for op in sequence:
            await _apply(op, svc, users, room, model, clock)
            await session.rollback()  # end any read-only transaction; writes are committed
            await _check(session)
        await svc.notifier.drain()
