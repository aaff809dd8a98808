"""One fault-injection run: start the cluster, set up rooms, events and users, let the clients
work while the nemesis strikes, heal everything, let the workers sweep, check."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from roomtime.core.clock import utcnow
from roomtime.domains.auth import tokens
from roomtime.settings import AppSettings, AuthSettings, Settings
from tests.nemesis.checker import Check, Evidence, run_checks
from tests.nemesis.cluster import JWT_SECRET, Cluster, running_cluster
from tests.nemesis.config import FAULT_KINDS, RunConfig
from tests.nemesis.faults import Crash, Fault, Nemesis, Outage, schedule
from tests.nemesis.workload import Attempt, Client, Target

SETTLE_SECONDS = 1.5  # the sink must stay quiet this long before the outbox counts as drained


@dataclass
class Outcome:
    config: RunConfig
    checks: list[Check]
    records: list[Attempt]
    faults: list[Fault]
    crashes: list[Crash]
    outages: list[Outage]
    run_dir: Path
    seconds: float
    phases: dict[str, float]  # seconds spent starting, working, healing, checking

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def faults_fired(self) -> set[str]:
        return {f.kind for f in self.faults if f.ended}

    @property
    def every_kind_fired(self) -> bool:
        return self.faults_fired == set(FAULT_KINDS)


def run(config: RunConfig, run_dir: Path) -> Outcome:
    began = time.monotonic()
    phases: dict[str, float] = {}
    with running_cluster(config, run_dir) as cluster:
        phases["start"] = time.monotonic() - began
        result = asyncio.run(_run(cluster, config, phases))
    records, faults, crashes, outages, checks = result
    seconds = time.monotonic() - began
    outcome = Outcome(config, checks, records, faults, crashes, outages, run_dir, seconds, phases)
    _save_history(outcome)
    return outcome


async def _run(
    cluster: Cluster, config: RunConfig, phases: dict[str, float]
) -> tuple[list[Attempt], list[Fault], list[Crash], list[Outage], list[Check]]:
    users = await _users(cluster, config.clients + 1)
    admin, people = users[0], users[1:]
    apis = [cluster.api_url(api) for api in cluster.apis]
    records: list[Attempt] = []
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200)) as http:
        target = await _target(http, apis[0], admin, config)
        ops = itertools.count(1)
        clients = [
            Client(
                n + 1, uid, _bearer(uid, "user"), _rng(config, n), apis, http, target, records, ops
            )
            for n, uid in enumerate(people)
        ]
        nemesis = Nemesis(cluster, schedule(config), [c.in_flight for c in clients])
        supervisor = asyncio.create_task(nemesis.supervise())
        t0 = time.time()
        try:
            striking = asyncio.create_task(nemesis.run(t0))
            await asyncio.gather(*(c.run(t0 + config.duration_seconds) for c in clients))
            await striking
            phases["work"] = time.time() - t0
            await nemesis.heal()
            await _settle(cluster, config)
            phases["heal"] = time.time() - t0 - phases["work"]
        finally:
            supervisor.cancel()
    for child in cluster.children:
        child.stop()
    await asyncio.sleep(0.3)  # a delivery the last process made on its way out
    evidence = Evidence(
        records, cluster.sink.snapshot(), nemesis.outages, dict(enumerate(people, start=1))
    )
    checked = time.time()
    checks = await run_checks(cluster.database.dsn, evidence, config, utcnow())
    phases["check"] = time.time() - checked
    return records, nemesis.faults, nemesis.crashes, nemesis.outages, checks


def _rng(config: RunConfig, client: int) -> random.Random:
    return random.Random(f"client-{config.seed}-{client}")


def _bearer(user_id: int, role: str) -> dict[str, str]:
    settings = Settings(
        app=AppSettings(environment="test"), auth=AuthSettings(jwt_secret=JWT_SECRET)
    )
    config = tokens.jwt_config(settings)
    token = tokens.issue_access_token(config, user_id=user_id, role=role, now=utcnow())
    return {"Authorization": f"Bearer {token}"}


async def _users(cluster: Cluster, count: int) -> list[int]:
    """An admin and the clients' accounts, written directly: the run is about booking."""
    conn = await asyncpg.connect(cluster.database.dsn)
    try:
        ids = []
        for n in range(count):
            role = "admin" if n == 0 else "user"
            email = "admin@nemesis.test" if n == 0 else f"client{n}@nemesis.test"
            ids.append(
                await conn.fetchval(
                    "INSERT INTO user_account (email, password_hash, role, email_verified_at) "
                    "VALUES ($1, 'not-used', $2, now()) RETURNING id",
                    email,
                    role,
                )
            )
        return ids
    finally:
        await conn.close()


async def _target(http: httpx.AsyncClient, api: str, admin: int, config: RunConfig) -> Target:
    headers = _bearer(admin, "admin")
    all_day = [{"weekday": d, "opens": "00:00", "closes": "24:00"} for d in range(7)]
    rooms = []
    for n in range(config.rooms):
        body = {
            "name": f"Room {n + 1}",
            "location": "Nemesis",
            "capacity": 1,
            "hold_ttl_seconds": config.hold_ttl_seconds,
            "opening_hours": all_day,
        }
        rooms.append(await _created(http, f"{api}/resources", body, headers))
    day = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [day + timedelta(hours=10 + h) for h in range(config.slots_per_room)]
    event = {
        "name": "Nemesis night",
        "starts_at": (day + timedelta(hours=19)).isoformat(),
        "ends_at": (day + timedelta(hours=21)).isoformat(),
        "total_seats": config.event_seats,
        "booking_ttl_minutes": config.event_ttl_minutes,
    }
    events = [await _created(http, f"{api}/events", event, headers)]
    return Target(rooms, starts, events)


async def _created(
    http: httpx.AsyncClient, url: str, body: dict[str, object], headers: dict[str, str]
) -> int:
    response = await http.post(url, json=body, headers=headers, timeout=30)
    if response.status_code != 201:
        raise RuntimeError(f"setting up {url}: {response.status_code} {response.text}")
    return int(response.json()["id"])


async def _settle(cluster: Cluster, config: RunConfig) -> None:
    """Give the workers time to sweep: until no hold is overdue, every message is sent and
    the sink has been quiet a moment (or the heal timeout passes; the checks then say what
    was left)."""
    deadline = time.time() + config.heal_timeout_seconds
    conn = await asyncpg.connect(cluster.database.dsn)
    try:
        while time.time() < deadline:
            overdue = await conn.fetchval(
                "SELECT count(*) FROM booking WHERE status = 'pending' AND expires_at < now()"
            )
            unsent = await conn.fetchval(
                "SELECT count(*) FROM notification_outbox WHERE sent_at IS NULL"
            )
            quiet = time.time() - cluster.sink.last_delivery_at() > SETTLE_SECONDS
            if not overdue and not unsent and quiet:
                return
            await asyncio.sleep(0.25)
    finally:
        await conn.close()


def _save_history(outcome: Outcome) -> None:
    history = {
        "config": asdict(outcome.config),
        "faults": [asdict(f) for f in outcome.faults],
        "crashes": [asdict(c) for c in outcome.crashes],
        "outages": [asdict(o) for o in outcome.outages],
        "checks": [asdict(c) for c in outcome.checks],
        "records": [asdict(r) for r in outcome.records],
    }
    path = outcome.run_dir / "history.json"
    path.write_text(json.dumps(history, indent=1, default=str))
