"""`roomtime seed` is idempotent and leaves an admin, resources and their slots."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.domains.auth.passwords import verify_password
from roomtime.production import DEV_SPECIALIST_EMAIL, DEV_SPECIALIST_PASSWORD
from roomtime.seed import DEV_ADMIN_PASSWORD, STARTER_EVENT_NAME, STARTER_RESOURCES, seed
from roomtime.settings import Settings

pytestmark = pytest.mark.integration


async def test_seed_twice_creates_everything_once(
    session: AsyncSession, settings: Settings, clock: FrozenClock
) -> None:
    first = await seed(session, settings, clock)
    slots_after_first = await session.scalar(text("SELECT count(*) FROM time_slot"))
    second = await seed(session, settings, clock)

    assert first.admin_created and not second.admin_created
    assert len(first.resources_created) == len(STARTER_RESOURCES)
    assert second.resources_created == []
    # The starter resources and the demonstration specialist's calendar; the event's
    # resource is hidden.
    listed = "SELECT count(*) FROM resource WHERE NOT is_hidden"
    assert await session.scalar(text(listed)) == len(STARTER_RESOURCES) + 1
    assert first.events_created == [STARTER_EVENT_NAME] and second.events_created == []
    assert await session.scalar(text("SELECT count(*) FROM event")) == 1
    assert await session.scalar(text("SELECT count(*) FROM time_slot")) == slots_after_first
    assert slots_after_first and slots_after_first > 0
    role, password_hash, verified_at = (
        await session.execute(
            text(
                "SELECT role, password_hash, email_verified_at FROM user_account "
                "WHERE role = 'admin'"
            )
        )
    ).one()
    assert role == "admin" and verified_at == clock()  # the seed's admin counts as verified
    assert password_hash.startswith("$argon2id$")
    assert verify_password(DEV_ADMIN_PASSWORD, password_hash)
    actions = (await session.execute(text("SELECT action FROM audit_log"))).scalars().all()
    assert actions.count("resource.created") == len(STARTER_RESOURCES) + 1


async def test_seed_generates_slots_over_the_horizon_in_local_days(
    session: AsyncSession, settings: Settings, clock: FrozenClock
) -> None:
    await seed(session, settings, clock)
    days = await session.scalar(
        text(
            "SELECT count(DISTINCT (s.starts_at AT TIME ZONE r.timezone)::date) "
            "FROM time_slot s JOIN resource r ON r.id = s.resource_id "
            "WHERE r.name = 'Meeting room Aurora'"
        )
    )
    assert days == settings.booking.slot_horizon_days


async def test_seed_adds_a_specialist_who_can_sign_in_with_two_services(
    session: AsyncSession, settings: Settings, clock: FrozenClock
) -> None:
    first = await seed(session, settings, clock)
    second = await seed(session, settings, clock)
    assert first.specialist_created and not second.specialist_created
    role, password_hash, verified_at = (
        await session.execute(
            text(
                "SELECT role, password_hash, email_verified_at FROM user_account "
                "WHERE email = :email"
            ),
            {"email": DEV_SPECIALIST_EMAIL},
        )
    ).one()
    assert role == "specialist" and verified_at is not None
    assert verify_password(DEV_SPECIALIST_PASSWORD, password_hash)
    services = (
        await session.execute(
            text("SELECT name, duration_minutes FROM specialist_service ORDER BY duration_minutes")
        )
    ).all()
    assert [tuple(s) for s in services] == [("Haircut", 30), ("Haircut and beard", 90)]
    assert await session.scalar(text("SELECT count(*) FROM specialist")) == 1
