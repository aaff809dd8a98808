"""Event seats over real HTTP against two API processes sharing one PostgreSQL (R-36):
overselling and double booking are impossible whatever the interleaving.

Racers behave like documented clients: a 409 `busy` carries Retry-After and is retried
after it, so every racer ends with a verdict on the seats themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from roomtime import migrate
from roomtime.settings import AuthSettings
from tests.concurrency.conftest import _token, api_processes, fleet_env
from tests.conftest import TEST_JWT_SECRET, make_settings
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database

# One xdist worker runs the whole module, so its module-scoped fixtures are set up once.
pytestmark = [pytest.mark.concurrency, pytest.mark.slow, pytest.mark.xdist_group("event-seats")]

RACERS = 100
SEATS = 10
LIVE = "SELECT count(*) AS n, coalesce(sum(party_size), 0) AS seats FROM booking WHERE event_id = $1 AND status IN ('pending', 'confirmed')"
SLOT = "SELECT seats_taken, capacity FROM time_slot s JOIN event e ON e.resource_id = s.resource_id WHERE e.id = $1"


@dataclass
class EventFleet:
    bases: list[str]
    dsn: str
    tokens: list[str]
    admin_token: str

    def headers(self, i: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[i]}"}

    def base(self, i: int) -> str:
        return self.bases[i % len(self.bases)]

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record:
        conn = await asyncpg.connect(self.dsn)
        try:
            return await conn.fetchrow(sql, *args)
        finally:
            await conn.close()

    async def create_event(self, client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
        starts = datetime.now(UTC) + timedelta(days=2)
        body = {
            "name": "Race gala",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "total_seats": SEATS,
            "booking_ttl_minutes": 10,
            **fields,
        }
        answer = await client.post(
            f"{self.bases[0]}/events",
            json=body,
            headers={"Authorization": f"Bearer {self.admin_token}"},
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def book(
        self, client: httpx.AsyncClient, i: int, event_id: int, via: int | None = None
    ) -> httpx.Response:
        """User `i` books one seat, retrying a documented 409 `busy` after its Retry-After."""
        url = f"{self.base(i if via is None else via)}/events/{event_id}/book"
        for _ in range(10):
            answer = await client.post(url, headers=self.headers(i))
            if answer.status_code != 409 or answer.json()["code"] != "busy":
                return answer
            await asyncio.sleep(int(answer.headers["retry-after"]))
        return answer


async def _users(dsn: str, count: int) -> tuple[list[int], int]:
    conn = await asyncpg.connect(dsn)
    try:
        ids = [
            await conn.fetchval(
                "INSERT INTO user_account (email, password_hash) VALUES ($1, 'x') RETURNING id",
                f"fan{i}@example.com",
            )
            for i in range(count)
        ]
        admin = await conn.fetchval(
            "INSERT INTO user_account (email, password_hash, role) "
            "VALUES ('gala-admin@example.com', 'x', 'admin') RETURNING id"
        )
    finally:
        await conn.close()
    return ids, admin


@contextlib.asynccontextmanager
async def _fleet(
    services: ServiceUrls, tmp: Path, name: str, **extra: str
) -> AsyncIterator[EventFleet]:
    url = await fresh_database(services, f"{TEST_DB_NAME}_{name}")
    await asyncio.to_thread(migrate.upgrade, url)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    ids, admin = await _users(dsn, RACERS)
    auth = AuthSettings(jwt_secret=TEST_JWT_SECRET, access_token_ttl_seconds=3600)
    settings = make_settings(services, tmp, auth=auth)
    env = fleet_env(
        url,
        services.redis_url,
        DATA_DIR=str(tmp),
        REDIS_KEY_PREFIX=f"rt-race-{os.getpid()}-{name}",
        # The suite's other fleet keeps its own connections open meanwhile: stay well inside
        # the server's max_connections (100), and let racers queue for a connection instead.
        DB_POOL_SIZE="10",
        DB_MAX_OVERFLOW="5",
        **extra,
    )
    with api_processes(2, env, tmp) as bases:
        yield EventFleet(
            bases,
            dsn,
            [_token(settings, i, "user") for i in ids],
            _token(settings, admin, "admin"),
        )


@pytest.fixture(scope="module")
async def event_fleet(
    services: ServiceUrls, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[EventFleet]:
    async with _fleet(services, tmp_path_factory.mktemp("event-fleet"), "events_race") as found:
        yield found


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=200))


async def test_negative_control_guards_off_oversells(services: ServiceUrls, tmp_path: Path) -> None:
    """With the write path's guards switched off (test-only settings) the same race sells
    more bookings than seats: the harness can see an oversell, so its silence below counts."""
    async with (
        _fleet(
            services,
            tmp_path,
            "events_unguarded",
            UNSAFE_DISABLE_BOOKING_GUARDS="true",
            BOOKING_RACE_DELAY_MS="200",
        ) as fleet,
        _client() as client,
    ):
        event = await fleet.create_event(client)
        answers = await asyncio.gather(
            *[fleet.book(client, i, event["id"]) for i in range(RACERS // 2)]
        )
        live = await fleet.fetchrow(LIVE, event["id"])
    assert [a.status_code for a in answers].count(201) > SEATS
    assert live["n"] > SEATS


async def test_100_users_racing_for_10_seats_get_exactly_10(event_fleet: EventFleet) -> None:
    async with _client() as client:
        event = await event_fleet.create_event(client)
        answers = await asyncio.gather(
            *[event_fleet.book(client, i, event["id"]) for i in range(RACERS)]
        )
        winners = [a for a in answers if a.status_code == 201]
        assert len(winners) == SEATS, [a.text for a in answers if a.status_code != 409][:5]
        for loser in (a for a in answers if a.status_code != 201):
            assert loser.status_code == 409, loser.text
            assert loser.headers["content-type"].startswith("application/problem+json")
            assert loser.json()["code"] == "sold_out", loser.text
        shown = await client.get(f"{event_fleet.bases[1]}/events/{event['id']}")
        assert shown.json()["available_seats"] == 0
        # Each winner pays through the process it did not book through.
        paid = await asyncio.gather(
            *[
                client.post(
                    f"{event_fleet.base(w.json()['user_id'] + 1)}/bookings/{w.json()['id']}/confirm",
                    headers=event_fleet.headers(w.json()["user_id"] - 1),
                )
                for w in winners
            ]
        )
    assert all(p.status_code == 201 and p.json()["status"] == "confirmed" for p in paid)
    live = await event_fleet.fetchrow(LIVE, event["id"])
    assert (live["n"], live["seats"]) == (SEATS, SEATS)
    slot = await event_fleet.fetchrow(SLOT, event["id"])
    assert (slot["seats_taken"], slot["capacity"]) == (SEATS, SEATS)


async def test_one_user_sending_20_parallel_bookings_gets_exactly_one(
    event_fleet: EventFleet,
) -> None:
    async with _client() as client:
        event = await event_fleet.create_event(client, total_seats=50)
        answers = await asyncio.gather(
            *[event_fleet.book(client, 0, event["id"], via=n) for n in range(20)]
        )
    assert [a.status_code for a in answers].count(201) == 1, [a.text for a in answers]
    for loser in (a for a in answers if a.status_code != 201):
        assert (loser.status_code, loser.json()["code"]) == (409, "already_booked"), loser.text
    live = await event_fleet.fetchrow(LIVE, event["id"])
    assert (live["n"], live["seats"]) == (1, 1)
    slot = await event_fleet.fetchrow(SLOT, event["id"])
    assert slot["seats_taken"] == 1


async def test_cancelling_during_a_rush_leaves_no_live_booking(event_fleet: EventFleet) -> None:
    async with _client() as client:
        event = await event_fleet.create_event(client, total_seats=40)
        admin = {"Authorization": f"Bearer {event_fleet.admin_token}"}

        async def cancel_soon() -> httpx.Response:
            await asyncio.sleep(0.05)
            for _ in range(10):
                answer = await client.post(
                    f"{event_fleet.bases[1]}/events/{event['id']}/cancel",
                    json={"reason": "Storm warning"},
                    headers=admin,
                )
                if answer.status_code != 409 or answer.json()["code"] != "busy":
                    return answer
                await asyncio.sleep(int(answer.headers["retry-after"]))
            return answer

        *answers, cancelled = await asyncio.gather(
            *[event_fleet.book(client, 20 + i, event["id"]) for i in range(60)], cancel_soon()
        )
    assert cancelled.status_code == 200, cancelled.text
    for answer in answers:
        assert answer.status_code in (201, 409), answer.text
        if answer.status_code == 409:
            assert answer.json()["code"] in {"sold_out", "event_cancelled"}, answer.text
    live = await event_fleet.fetchrow(LIVE, event["id"])
    assert live["n"] == 0, "a booking slipped past the cancellation"
    slot = await event_fleet.fetchrow(SLOT, event["id"])
    assert slot["seats_taken"] == 0
    booked = sum(a.status_code == 201 for a in answers)
    told = await event_fleet.fetchrow(
        "SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM notification_outbox "
        "WHERE kind = 'event_cancelled' AND channel = 'email' AND dedupe_key LIKE $1",
        f"event_cancelled:{event['id']}:%",
    )
    assert told["n"] == told["users"] == booked
