"""Idempotent starter data: an admin and a few resources with their slots (SPEC §5), and
outside production a specialist with two services (R-34) whose account can sign in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime._seed_specialist import seed_specialist
from roomtime.core.clock import Clock
from roomtime.domains.auth import service as auth_service
from roomtime.domains.events import service as events_service
from roomtime.domains.events.schemas import EventCreate
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.schemas import OpeningHoursItem, ResourceCreate
from roomtime.production import DEV_ADMIN_PASSWORD
from roomtime.settings import Settings

log = structlog.get_logger(__name__)


def _weekdays(opens: str, closes: str) -> list[OpeningHoursItem]:
    return [OpeningHoursItem(weekday=d, opens=opens, closes=closes) for d in range(5)]


STARTER_RESOURCES = (
    ResourceCreate(
        name="Meeting room Aurora",
        location="Berlin, 3rd floor",
        capacity=8,
        description="Screen, whiteboard, video conferencing.",
        timezone="Europe/Berlin",
    ),
    ResourceCreate(
        name="Recording studio",
        location="Berlin, basement",
        capacity=3,
        timezone="Europe/Berlin",
        slot_minutes=120,
        opening_hours=[
            OpeningHoursItem(weekday=d, opens="10:00", closes="22:00") for d in range(7)
        ],
    ),
    ResourceCreate(
        name="Table 4 by the window",
        location="Trattoria Centrale",
        capacity=4,
        description="Restaurant table for up to four guests.",
        slot_minutes=30,
        max_hold_slots=6,
        opening_hours=[
            OpeningHoursItem(weekday=d, opens="12:00", closes="23:00") for d in range(7)
        ],
    ),
    ResourceCreate(
        name="Dr. Rivera — consultations",
        location="Clinic, room 2",
        capacity=1,
        slot_minutes=30,
        cancel_deadline_minutes=120,
        opening_hours=_weekdays("09:00", "17:00"),
    ),
    ResourceCreate(
        name="Morning yoga class",
        location="Studio Lotus",
        capacity=12,
        booking_mode="shared",
        opening_hours=[
            OpeningHoursItem(weekday=d, opens="07:00", closes="09:00") for d in range(7)
        ],
    ),
)


STARTER_EVENT_NAME = "RoomTime community evening"


def starter_event(now: datetime) -> EventCreate:
    """An upcoming event with seats, two weeks out, so a fresh `dev` has one to book."""
    starts = (now + timedelta(days=14)).replace(hour=18, minute=0, second=0, microsecond=0)
    return EventCreate(
        name=STARTER_EVENT_NAME,
        short_description="Talks and snacks with the RoomTime team",
        description="Three short talks, then drinks. Seats are limited: book and confirm.",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        location="Berlin, ground floor lounge",
        total_seats=30,
        booking_ttl_minutes=15,
        payment_info="Free; confirming your booking is the payment step.",
    )


@dataclass
class SeedReport:
    admin_email: str
    admin_created: bool
    resources_created: list[str]
    events_created: list[str] = field(default_factory=list)
    specialist_created: bool = False


async def seed(session: AsyncSession, settings: Settings, clock: Clock) -> SeedReport:
    password = settings.auth.seed_admin_password
    if password is None:
        if settings.app.environment == "production":
            raise ValueError("set SEED_ADMIN_PASSWORD to seed a production database")
        password = DEV_ADMIN_PASSWORD
    # Never promotes an account someone registered at this address first (that raises).
    admin, outcome = await auth_service.ensure_admin(
        auth_service.EnsureAdminDeps(session, clock),
        email=settings.auth.seed_admin_email,
        password=password,
        via="seed",
    )
    created = outcome is auth_service.AdminOutcome.CREATED
    made: list[str] = []
    for data in STARTER_RESOURCES:
        if await resources_service.find_by_name(session, data.name) is not None:
            continue
        await resources_service.create_resource(
            session,
            data,
            actor_user_id=admin.id,
            now=clock(),
            default_hold_ttl=settings.booking.hold_ttl_seconds,
            horizon_days=settings.booking.slot_horizon_days,
        )
        made.append(data.name)
    events: list[str] = []
    if await events_service.find_by_name(session, STARTER_EVENT_NAME) is None:
        await events_service.create_event(
            session, starter_event(clock()), actor_user_id=admin.id, now=clock()
        )
        events.append(STARTER_EVENT_NAME)
    # A known password is fine on a developer's machine, never on a production database.
    specialist = settings.app.environment != "production" and await seed_specialist(
        session, settings, clock, admin_id=admin.id
    )
    log.info(
        "seeded",
        admin=admin.email,
        admin_created=created,
        resources_created=len(made),
        events_created=len(events),
        specialist_created=specialist,
    )
    return SeedReport(admin.email, created, made, events, specialist)
