"""CPU per request, in process: RoomTime's app and the baseline app through one ASGI harness.

    python3 run.py bench --cpu [--only cached uncached resource listing write]

wrk's rates on a shared 2-CPU machine move by a third between runs; what a request costs
the server's CPU moves far less. Both apps are created in this process (RoomTime's
`create_app()` with the bench's settings, logs on and written to a file as a collector would
read them; `bench.baseline_app.create_app()`), on the bench's fresh database and Redis, and
called directly as ASGI applications, one request at a time. Batches of the two alternate,
and `time.process_time()` per request is reported as the median of the batches, with the
ratio baseline / RoomTime (1.0: RoomTime spends the baseline's CPU). There is no HTTP
parsing and no load generator in it: the ratios are of the applications' own work.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from starlette.types import ASGIApp, Message

from bench.setup import OUT, Seed, app_env, flush_redis, fresh_database, seed, token_for

PATHS = ("cached", "uncached", "resource", "listing", "write")
BATCHES = 20
Request = tuple[str, str, list[tuple[str, str]], bytes]  # method, path?query, headers, body


class _Answer:
    def __init__(self) -> None:
        self.status = 0
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


async def call(app: ASGIApp, request: Request) -> _Answer:
    method, target, headers, body = request
    path, _, query = target.partition("?")
    raw = [(b"host", b"127.0.0.1")] + [(k.lower().encode(), v.encode()) for k, v in headers]
    if body:
        raw += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # never: nothing here disconnects
        raise AssertionError

    answer = _Answer()
    await app(scope, receive, answer)
    return answer


def get(target: str, headers: Sequence[tuple[str, str]] = ()) -> Request:
    return ("GET", target, list(headers), b"")


async def _batch(app: ASGIApp, requests: Sequence[Request], expect: int) -> float:
    started = time.process_time()
    for request in requests:
        answer = await call(app, request)
        if answer.status != expect:
            raise SystemExit(f"{request[0]} {request[1]}: {answer.status} {answer.body[:300]!r}")
    return (time.process_time() - started) / len(requests) * 1e6


async def compare(
    name: str, mine: tuple[ASGIApp, list[Request]], theirs: tuple[ASGIApp, list[Request]]
) -> dict[str, Any]:
    """Alternating batches of the two request lists; medians of µs CPU per request."""
    size = len(mine[1]) // BATCHES
    times: dict[str, list[float]] = {"roomtime": [], "baseline": []}
    for k in range(BATCHES):
        order = [("roomtime", *mine), ("baseline", *theirs)]
        for side, app, requests in order if k % 2 == 0 else order[::-1]:
            times[side].append(await _batch(app, requests[k * size : (k + 1) * size], 200))
    row = {side: round(statistics.median(t)) for side, t in times.items()}
    row["ratio"] = round(row["baseline"] / row["roomtime"], 2)
    print(f"   {name}: {row['roomtime']} µs vs {row['baseline']} µs = {row['ratio']}", flush=True)
    return {"path": name, **row}


class Harness:
    def __init__(self, data: Seed, app: ASGIApp, base: ASGIApp, redis_url: str) -> None:
        self.seed, self.app, self.base, self.redis_url = data, app, base, redis_url
        self.days = [(data.first_day + timedelta(days=d)).isoformat() for d in range(data.days)]
        self._tokens: dict[int, str] = {}

    async def cached(self, n: int) -> dict[str, Any]:
        path = f"/resources/{self.seed.read_ids[0]}/availability?date={self.days[1]}"
        await call(self.app, get(path))
        hit = await call(self.app, get(path))
        redis = Redis.from_url(self.redis_url)
        try:
            await redis.set(f"bench:avail:{self.seed.read_ids[0]}:{self.days[1]}", hit.body)
        finally:
            await redis.aclose()
        return await compare(
            "cached availability",
            (self.app, [get(path)] * n),
            (self.base, [get(f"/cached{path}")] * n),
        )

    async def uncached(self, n: int) -> dict[str, Any]:
        # Each request a day of its own, on an emptied cache: every one is a miss.
        await flush_redis(self.redis_url)
        pairs = [(r, d) for r in self.seed.read_ids for d in self.days][:n]
        return await compare(
            "uncached availability",
            (self.app, [get(f"/resources/{r}/availability?date={d}") for r, d in pairs]),
            (self.base, [get(f"/db/resources/{r}/availability?date={d}") for r, d in pairs]),
        )

    async def resource(self, n: int) -> dict[str, Any]:
        ids = (self.seed.read_ids * (n // len(self.seed.read_ids) + 1))[:n]
        return await compare(
            "resource by id",
            (self.app, [get(f"/resources/{i}") for i in ids]),
            (self.base, [get(f"/db/resources/{i}") for i in ids]),
        )

    async def listing(self, n: int) -> dict[str, Any]:
        offsets = [o for _ in range(n // 10 + 1) for o in range(0, 200, 20)][:n]
        query = "min_capacity=1&limit=20&offset={}"
        return await compare(
            "resource listing",
            (self.app, [get(f"/resources?{query.format(o)}") for o in offsets]),
            (self.base, [get(f"/db/resources?{query.format(o)}") for o in offsets]),
        )

    async def write(self, n: int) -> list[dict[str, Any]]:
        """Hold, confirm (with an Idempotency-Key) and cancel, each on a slot of its own."""
        rows = []
        costs = {side: await self._writes(side, n) for side in ("app", "base")}
        for step in ("hold", "confirm", "cancel"):
            mine, theirs = costs["app"][step], costs["base"][step]
            rows.append(
                {
                    "path": f"POST {step}",
                    "roomtime": round(mine),
                    "baseline": round(theirs),
                    "ratio": round(theirs / mine, 2),
                }
            )
            print(f"   {step}: {mine:.0f} µs vs {theirs:.0f} µs = {theirs / mine:.2f}")
        return rows

    async def _writes(self, side: str, n: int) -> dict[str, float]:
        app, prefix = (self.app, "") if side == "app" else (self.base, "/db")
        spent = {"hold": 0.0, "confirm": 0.0, "cancel": 0.0}
        booked: list[tuple[int, list[tuple[str, str]]]] = []
        for i in range(n):
            rid, starts, ends = self.seed.write_slot(side, i)
            user = self.seed.user_ids[i % len(self.seed.user_ids)]
            auth = self._auth(side, user)
            body = {
                "resource_id": rid,
                "starts_at": starts.isoformat(),
                "ends_at": ends.isoformat(),
            }
            held = await self._timed(
                spent,
                "hold",
                app,
                ("POST", f"{prefix}/bookings/hold", auth, json.dumps(body).encode()),
                201,
            )
            confirm = json.dumps({"hold_id": json.loads(held.body)["hold_id"]}).encode()
            keyed = [*auth, ("Idempotency-Key", uuid.uuid4().hex)]
            done = await self._timed(
                spent, "confirm", app, ("POST", f"{prefix}/bookings/confirm", keyed, confirm), 201
            )
            booked.append((json.loads(done.body)["id"], auth))
        for booking_id, auth in booked:
            await self._timed(
                spent,
                "cancel",
                app,
                ("POST", f"{prefix}/bookings/{booking_id}/cancel", auth, b""),
                200,
            )
        return {step: total / n * 1e6 for step, total in spent.items()}

    def _auth(self, side: str, user: int) -> list[tuple[str, str]]:
        if side == "base":
            return [("X-User-Id", str(user))]  # the baseline checks no token
        # One token per user, as a client keeps its access token between requests.
        if user not in self._tokens:
            self._tokens[user] = token_for(user)
        return [("Authorization", f"Bearer {self._tokens[user]}")]

    @staticmethod
    async def _timed(
        spent: dict[str, float], step: str, app: ASGIApp, request: Request, expect: int
    ) -> _Answer:
        started = time.process_time()
        answer = await call(app, request)
        spent[step] += time.process_time() - started
        if answer.status != expect:
            raise SystemExit(f"{request[1]}: {answer.status} {answer.body[:300]!r}")
        return answer


async def run(
    server_url: str, redis_url: str, paths: Sequence[str], name: str
) -> list[dict[str, Any]]:
    url = await fresh_database(server_url, name)
    await flush_redis(redis_url)
    data = await seed(url, resources=200, days=30, users=400, write_days=30)
    env = app_env(url, redis_url, None)
    env.pop("PYTHONPATH", None)
    os.environ.update(env)
    # Imported only now: settings are read from the environment just set.
    from bench.baseline_app import create_app as create_baseline
    from roomtime.main import create_app

    app, base = create_app(), create_baseline()
    rows: list[dict[str, Any]] = []
    OUT.mkdir(exist_ok=True)
    with (OUT / "cpu-app.log").open("a") as log_file:
        async with app.router.lifespan_context(app), base.router.lifespan_context(base):
            # The app's log lines go to a file, as the served app's stdout does in the bench.
            for handler in logging.getLogger().handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.setStream(log_file)
            harness = Harness(data, app, base, redis_url)
            for path in paths:
                print(f"-- {path}", flush=True)
                if path == "write":
                    rows += await harness.write(300)
                else:
                    rows.append(await getattr(harness, path)(2000 if path == "uncached" else 4000))
    return rows
