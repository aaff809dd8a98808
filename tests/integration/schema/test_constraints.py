"""The database itself guards the invariants (R-11, R-13 and the CHECKs of SPEC §2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asyncpg.exceptions import CheckViolationError, ExclusionViolationError, UniqueViolationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import rows

pytestmark = pytest.mark.integration

T10 = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
T1030 = datetime(2030, 1, 7, 10, 30, tzinfo=UTC)
T11 = datetime(2030, 1, 7, 11, 0, tzinfo=UTC)


async def _setup(session: AsyncSession) -> tuple[int, int, int]:
    user = await rows.user(session)
    room = await rows.resource(session)
    other = await rows.resource(session)
    return user.id, room.id, other.id


def _sqlstate_cause(exc: IntegrityError) -> type[BaseException]:
    return type(exc.orig.__cause__) if exc.orig is not None else type(exc)  # type: ignore[union-attr]


@pytest.mark.parametrize("status", ["pending", "confirmed"])
async def test_overlapping_active_booking_is_rejected(session: AsyncSession, status: str) -> None:
    user_id, room_id, _ = await _setup(session)
    await rows.booking(session, user_id=user_id, resource_id=room_id, starts_at=T10)
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            await rows.booking(
                session, user_id=user_id, resource_id=room_id, starts_at=T1030, status=status
            )
    assert _sqlstate_cause(caught.value) is ExclusionViolationError
    assert "booking_no_overlap" in str(caught.value)


async def test_touching_ranges_are_accepted(session: AsyncSession) -> None:
    user_id, room_id, _ = await _setup(session)
    await rows.booking(session, user_id=user_id, resource_id=room_id, starts_at=T10)
    await rows.booking(session, user_id=user_id, resource_id=room_id, starts_at=T11)
    count = await session.scalar(text("SELECT count(*) FROM booking"))
    assert count == 2


@pytest.mark.parametrize("inactive", ["cancelled", "expired", "archived"])
async def test_inactive_booking_does_not_block_an_overlap(
    session: AsyncSession, inactive: str
) -> None:
    user_id, room_id, _ = await _setup(session)
    await rows.booking(
        session, user_id=user_id, resource_id=room_id, starts_at=T10, status=inactive
    )
    await rows.booking(session, user_id=user_id, resource_id=room_id, starts_at=T1030)
    assert await session.scalar(text("SELECT count(*) FROM booking")) == 2


async def test_same_range_on_another_resource_is_accepted(session: AsyncSession) -> None:
    user_id, room_id, other_id = await _setup(session)
    await rows.booking(session, user_id=user_id, resource_id=room_id, starts_at=T10)
    await rows.booking(session, user_id=user_id, resource_id=other_id, starts_at=T10)
    assert await session.scalar(text("SELECT count(*) FROM booking")) == 2


async def test_shared_resource_bookings_may_overlap(session: AsyncSession) -> None:
    user_id, room_id, _ = await _setup(session)
    for _ in range(3):
        await rows.booking(
            session, user_id=user_id, resource_id=room_id, starts_at=T10, is_exclusive=False
        )
    assert await session.scalar(text("SELECT count(*) FROM booking")) == 3


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"minutes": 0}, "ck_booking_ends_after_starts"),
        ({"party_size": 0}, "ck_booking_party_size_positive"),
        ({"status": "bogus"}, "ck_booking_status"),
        ({"status": "pending", "expires_at": None}, "ck_booking_pending_expires"),
    ],
)
async def test_booking_checks(
    session: AsyncSession, overrides: dict[str, object], constraint: str
) -> None:
    user_id, room_id, _ = await _setup(session)
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            await rows.booking(
                session, user_id=user_id, resource_id=room_id, starts_at=T10, **overrides
            )
    assert _sqlstate_cause(caught.value) is CheckViolationError
    assert constraint in str(caught.value)


async def test_idempotency_key_is_unique_per_user(session: AsyncSession) -> None:
    user_id, room_id, other_id = await _setup(session)
    await rows.booking(
        session, user_id=user_id, resource_id=room_id, starts_at=T10, idempotency_key="k1"
    )
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            await rows.booking(
                session, user_id=user_id, resource_id=other_id, starts_at=T11, idempotency_key="k1"
            )
    assert _sqlstate_cause(caught.value) is UniqueViolationError


async def test_slot_seats_never_exceed_capacity(session: AsyncSession) -> None:
    _, room_id, _ = await _setup(session)
    await session.execute(
        text(
            "INSERT INTO time_slot (resource_id, starts_at, ends_at, capacity) "
            "VALUES (:r, :s, :e, 2)"
        ),
        {"r": room_id, "s": T10, "e": T11},
    )
    await session.execute(text("UPDATE time_slot SET seats_taken = seats_taken + 2"))
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            await session.execute(text("UPDATE time_slot SET seats_taken = seats_taken + 1"))
    assert "ck_time_slot_seats_within_capacity" in str(caught.value)


async def test_slot_start_is_unique_per_resource(session: AsyncSession) -> None:
    _, room_id, _ = await _setup(session)
    insert = text("INSERT INTO time_slot (resource_id, starts_at, ends_at) VALUES (:r, :s, :e)")
    await session.execute(insert, {"r": room_id, "s": T10, "e": T11})
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            await session.execute(insert, {"r": room_id, "s": T10, "e": T11})
    assert "uq_time_slot_resource_id_starts_at" in str(caught.value)


_INSERT_USER = text("INSERT INTO user_account (email, password_hash) VALUES (:e, 'x')")


@pytest.mark.parametrize("email", ["Ann@example.com", " ann@example.com", "ann@example.com "])
async def test_the_check_refuses_an_email_that_is_not_normalised(
    session: AsyncSession, email: str
) -> None:
    # The table is empty: no unique index can fire, only the CHECK.
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            await session.execute(_INSERT_USER, {"e": email})
    assert _sqlstate_cause(caught.value) is CheckViolationError
    assert "ck_user_account_email_normalised" in str(caught.value)


async def test_the_unique_index_refuses_the_same_email_twice(session: AsyncSession) -> None:
    await rows.user(session, email="ann@example.com")
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            await session.execute(_INSERT_USER, {"e": "ann@example.com"})
    assert _sqlstate_cause(caught.value) is UniqueViolationError
    assert "uq_user_account_email_lower" in str(caught.value)


@pytest.mark.parametrize("variant", ["ANN@example.com", "Ann@Example.COM"])
async def test_the_unique_index_alone_ignores_case(session: AsyncSession, variant: str) -> None:
    # Without the CHECK (dropped in this uncommitted transaction, so only this test sees it)
    # a case variant reaches the index, which must refuse it by itself.
    await session.execute(
        text("ALTER TABLE user_account DROP CONSTRAINT ck_user_account_email_normalised")
    )
    await rows.user(session, email="ann@example.com")
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            await session.execute(_INSERT_USER, {"e": variant})
    assert _sqlstate_cause(caught.value) is UniqueViolationError
    assert "uq_user_account_email_lower" in str(caught.value)
    await session.rollback()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"]
)
async def test_the_audit_trail_is_append_only(session: AsyncSession, statement: str) -> None:
    await session.execute(
        text("INSERT INTO audit_log (action, entity, entity_id) VALUES ('x.y', 'user', '1')")
    )
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text(statement))
    assert await session.scalar(text("SELECT action FROM audit_log")) == "x.y"
