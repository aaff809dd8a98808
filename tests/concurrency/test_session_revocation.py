"""Refresh rotation racing revocation, over real HTTP against two API processes (R-28).

Each session (refresh-token family) is refreshed in a tight loop while, mid-loop, it is ended
by a logout, a password reset, a deactivation or the reuse of an old token. Afterwards no
token of those sessions may be live (unused, unrevoked, unexpired): a successor that a
rotation inserted while the revocation ran must not survive it.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from roomtime import migrate
from roomtime.core.clock import utcnow
from roomtime.domains.auth import tokens
from roomtime.domains.auth.service import jwt_config
from roomtime.settings import Settings
from tests.concurrency.conftest import Fleet, api_processes, fleet_env
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database

# One xdist worker runs the whole module, so its module-scoped fixtures are set up once.
pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.slow,
    pytest.mark.xdist_group("session-revocation"),
]

USERS = 8
SESSIONS_PER_USER = 3
MAX_ROUNDS = 80  # a session that is still alive after this many rotations survived its end
NEW_PASSWORD = "a brand new passphrase"
LIVE_TOKENS = """
    SELECT count(*) FROM refresh_token
     WHERE user_id = ANY($1::bigint[]) AND used_at IS NULL AND revoked_at IS NULL
       AND expires_at > now() AND family_expires_at > now()
"""
_ids = itertools.count()


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class Session:
    user_id: int
    first_token: str  # rotated by the first refresh, so it stays known to the server
    rounds: int = 0
    last_status: int = 0
    # The session is ended after a random number of rotations, while the loop goes on.
    end_after: int = field(default_factory=lambda: random.randint(2, 6))
    due: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Scenario:
    fleet: Fleet
    admin_headers: dict[str, str]
    users: list[int] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    reset_tokens: dict[int, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def fleet(
    services: ServiceUrls, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Fleet]:
    tmp = tmp_path_factory.mktemp("sessions")
    url = await fresh_database(services, f"{TEST_DB_NAME}_sessions")
    await asyncio.to_thread(migrate.upgrade, url)
    env = fleet_env(url, services.redis_url, DATA_DIR=str(tmp), RESET_RATE_LIMIT="1000/hour")
    with api_processes(2, env, tmp) as bases:
        yield Fleet(bases, url, 0, [])


async def _scenario(fleet: Fleet, settings: Settings) -> Scenario:
    """Fresh users, each with a few live sessions and an unused reset token."""
    [admin] = await fleet.fetch(
        "INSERT INTO user_account (email, password_hash, role) VALUES ($1, 'x', 'admin') "
        "RETURNING id",
        f"admin{next(_ids)}@example.com",
    )
    access = tokens.issue_access_token(
        jwt_config(settings), user_id=admin["id"], role="admin", now=utcnow()
    )
    scenario = Scenario(fleet, {"Authorization": f"Bearer {access}"})
    for _ in range(USERS):
        [user] = await fleet.fetch(
            "INSERT INTO user_account (email, password_hash) VALUES ($1, 'x') RETURNING id",
            f"racer{next(_ids)}@example.com",
        )
        scenario.users.append(user["id"])
        reset = secrets.token_urlsafe(32)
        await fleet.fetch(
            "INSERT INTO password_reset (user_id, token_hash, expires_at) "
            "VALUES ($1, $2, now() + interval '30 minutes')",
            user["id"],
            _digest(reset),
        )
        scenario.reset_tokens[user["id"]] = reset
        for _ in range(SESSIONS_PER_USER):
            raw = secrets.token_urlsafe(32)
            await fleet.fetch(
                "INSERT INTO refresh_token (user_id, token_hash, family_id, expires_at, "
                "family_expires_at) VALUES ($1, $2, $3, now() + interval '1 day', "
                "now() + interval '30 days')",
                user["id"],
                _digest(raw),
                uuid.uuid4(),
            )
            scenario.sessions.append(Session(user["id"], raw))
    return scenario


async def _rotate(client: httpx.AsyncClient, fleet: Fleet, n: int, s: Session) -> None:
    """Refresh the session over and over, alternating processes, until it is refused."""
    token = s.first_token
    while s.rounds < MAX_ROUNDS:
        s.rounds += 1
        base = fleet.bases[(n + s.rounds) % len(fleet.bases)]
        response = await client.post(f"{base}/auth/refresh", json={"refresh_token": token})
        s.last_status = response.status_code
        if s.rounds >= s.end_after or response.status_code != 200:
            s.due.set()
        if response.status_code != 200:
            return
        token = response.json()["refresh_token"]


Ender = Callable[[httpx.AsyncClient, Scenario, Session], Awaitable[httpx.Response]]


async def _logout(client: httpx.AsyncClient, sc: Scenario, s: Session) -> httpx.Response:
    return await client.post(
        f"{sc.fleet.bases[0]}/auth/logout", json={"refresh_token": s.first_token}
    )


async def _reuse(client: httpx.AsyncClient, sc: Scenario, s: Session) -> httpx.Response:
    return await client.post(
        f"{sc.fleet.bases[0]}/auth/refresh", json={"refresh_token": s.first_token}
    )


async def _reset(client: httpx.AsyncClient, sc: Scenario, s: Session) -> httpx.Response:
    body = {"token": sc.reset_tokens[s.user_id], "new_password": NEW_PASSWORD}
    return await client.post(f"{sc.fleet.bases[0]}/auth/reset", json=body)


async def _deactivate(client: httpx.AsyncClient, sc: Scenario, s: Session) -> httpx.Response:
    return await client.patch(
        f"{sc.fleet.bases[0]}/users/{s.user_id}",
        json={"is_active": False},
        headers=sc.admin_headers,
    )


async def _end_mid_rotation(
    client: httpx.AsyncClient, sc: Scenario, ender: Ender, targets: list[Session]
) -> list[int]:
    statuses = []

    async def end(s: Session) -> None:
        await s.due.wait()
        statuses.append((await ender(client, sc, s)).status_code)

    await asyncio.gather(
        *[_rotate(client, sc.fleet, n, s) for n, s in enumerate(sc.sessions)],
        *[end(s) for s in targets],
    )
    return statuses


@pytest.mark.parametrize(
    ("name", "ender", "expected"),
    [
        ("logout", _logout, 204),
        ("reuse", _reuse, 401),
        ("reset", _reset, 204),
        ("deactivate", _deactivate, 200),
    ],
)
async def test_no_session_survives_its_revocation_while_it_rotates(
    fleet: Fleet, settings: Settings, name: str, ender: Ender, expected: int
) -> None:
    sc = await _scenario(fleet, settings)
    per_session = name in {"logout", "reuse"}
    # A logout or a reuse ends one session; a reset or a deactivation ends all of a user's.
    targets = sc.sessions if per_session else sc.sessions[::SESSIONS_PER_USER]
    async with httpx.AsyncClient(timeout=60) as client:
        statuses = await _end_mid_rotation(client, sc, ender, targets)
    assert statuses == [expected] * len(targets), statuses
    [row] = await fleet.fetch(LIVE_TOKENS, sc.users)
    survivors = [s for s in sc.sessions if s.last_status == 200]
    assert row[0] == 0, f"{row[0]} live tokens after {name}; sessions still rotating: {survivors}"
    assert not survivors
    assert {s.last_status for s in sc.sessions} == {401}
