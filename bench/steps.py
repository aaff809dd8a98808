"""The measured steps: each path on RoomTime beside its baseline, in alternating order."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

from bench import contention, profile, scale
from bench.drivers import Load, rss_kib, wrk
from bench.setup import OUT, Seed, Server, plain_dsn
from bench.writes import Writer

# The write step's unmeasured first runs, per side.
WARM_UP_SECONDS = 2.0

TARGETS = {
    "cached availability": 0.85,
    "uncached availability": 0.80,
    "resource by id": 0.80,
    "resource listing": 0.80,
    "hold + confirm": 0.70,
    "cancel": 0.70,
    "2 workers / 1 (cached)": 1.6,
}


def _spy(server: Server, seconds: float, name: str) -> subprocess.Popen[bytes] | None:
    return profile.start(server.proc.pid, seconds, OUT / f"profile-{name}.raw")


def _summarise(name: str) -> None:
    raw = OUT / f"profile-{name}.raw"
    if raw.exists():
        (OUT / f"profile-{name}.txt").write_text(profile.summary(raw) + "\n")
        print(f"   profile written to {OUT / f'profile-{name}.txt'}", flush=True)


def _mean(loads: list[Load]) -> Load:
    return Load(
        statistics.fmean(x.rate for x in loads),
        statistics.fmean(x.p50_ms for x in loads),
        statistics.fmean(x.p99_ms for x in loads),
        sum(x.count for x in loads),
        sum(x.errors for x in loads),
    )


@dataclass
class Bench:
    args: argparse.Namespace
    seed: Seed
    app: Server
    base: Server
    redis_url: str
    db_url: str
    results: dict[str, Any]
    start_two_workers: Callable[[], Server]

    # -- helpers ------------------------------------------------------------------------
    def _row(self, path: str, app: Load, base: Load, note: str = "") -> None:
        ratio = app.rate / base.rate if base.rate else 0.0
        target = TARGETS.get(path)
        self.results["rows"].append(
            {
                "path": path,
                "roomtime": app.as_dict(),
                "baseline": base.as_dict(),
                "ratio": round(ratio, 3),
                "target": target,
                "met": None if target is None else ratio >= target,
                "note": note,
            }
        )
        print(f"   {path}: {app.rate:.0f}/s vs {base.rate:.0f}/s = {ratio:.2f}", flush=True)

    async def _flush(self) -> None:
        redis = Redis.from_url(self.redis_url)
        try:
            await redis.flushdb()
        finally:
            await redis.aclose()

    async def _alternate(
        self,
        app_paths: list[str],
        base_paths: list[str],
        before: Callable[[], Any] | None = None,
        profile: str | None = None,
        while_app_runs: Callable[[], Any] | None = None,
    ) -> tuple[Load, Load]:
        mine: list[Load] = []
        theirs: list[Load] = []
        for r in range(self.args.rounds):
            order = [(self.app, app_paths, mine), (self.base, base_paths, theirs)]
            for server, paths, into in order if r % 2 == 0 else order[::-1]:
                if before is not None:
                    await before()
                spy = None
                if profile and self.args.profile and server is self.app and r == 0:
                    spy = _spy(server, self.args.seconds, profile)
                beside = None
                if while_app_runs is not None and server is self.app:
                    beside = asyncio.create_task(while_app_runs())
                try:
                    load = await asyncio.to_thread(
                        wrk, server.base, paths, self.args.seconds, name=server.name
                    )
                finally:
                    if beside is not None:
                        beside.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await beside
                into.append(load)
                print(f"      round {r + 1}, {server.name}: {load.rate:.0f}/s", flush=True)
                if spy is not None:
                    spy.wait()
                    _summarise(profile)
        return _mean(mine), _mean(theirs)

    def _days(self) -> list[str]:
        return [
            (self.seed.first_day + timedelta(days=d)).isoformat() for d in range(self.seed.days)
        ]

    # -- steps ----------------------------------------------------------------------------
    async def cached(self) -> None:
        rid, day = self.seed.read_ids[0], self._days()[1]
        path = f"/resources/{rid}/availability?date={day}"
        async with httpx.AsyncClient(base_url=self.app.base) as http:
            await http.get(path)
            answer = await http.get(path)
        assert answer.headers.get("x-cache") == "HIT", answer.headers
        redis = Redis.from_url(self.redis_url)
        try:
            await redis.set(f"bench:avail:{rid}:{day}", answer.content)
        finally:
            await redis.aclose()
        transactions = await self._transactions_per_hit(path)
        app, base = await self._alternate([path], [f"/cached{path}"], profile="cached")
        self._row(
            "cached availability", app, base, f"PostgreSQL transactions per hit: {transactions}"
        )
        self.results["checks"]["cached_hit_pg_transactions_per_request"] = transactions

    async def _transactions_per_hit(self, path: str, n: int = 200) -> float:
        """Transactions the database counted while RoomTime answered n cache hits (a hit
        must open none; the counter is shared, so an idle neighbour adds a little)."""
        conn = await asyncpg.connect(plain_dsn(self.db_url))
        query = (
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        try:
            await conn.execute("SELECT pg_stat_clear_snapshot()")
            before = await conn.fetchval(query)
            async with httpx.AsyncClient(base_url=self.app.base) as http:
                for _ in range(n):
                    await http.get(path)
            await asyncio.sleep(0.6)  # the statistics collector reports every 500 ms
            await conn.execute("SELECT pg_stat_clear_snapshot()")
            after = await conn.fetchval(query)
        finally:
            await conn.close()
        return round((after - before) / n, 3)

    def _fresh_day_paths(self, prefix: str) -> list[str]:
        pairs = [(r, d) for r in self.seed.read_ids for d in self._days()]
        random.Random(7).shuffle(pairs)
        return [f"{prefix}/resources/{r}/availability?date={d}" for r, d in pairs]

    async def uncached(self) -> None:
        # Every request must ask for a day not cached yet. There are 6,000 (resource, day)
        # paths and RoomTime can serve more than that in one run, so the cache is also
        # emptied every 50 ms while wrk drives RoomTime, and its hit counter tells how many
        # hits slipped through anyway.
        hits_before, misses_before = await self._cache_lookups()
        app, base = await self._alternate(
            self._fresh_day_paths(""),
            self._fresh_day_paths("/db"),
            before=self._flush,
            profile="uncached",
            while_app_runs=self._keep_flushing,
        )
        hits, misses = await self._cache_lookups()
        hits, misses = hits - hits_before, misses - misses_before
        share = hits / max(1, hits + misses)
        print(f"   cache hits during RoomTime's runs: {hits} of {hits + misses}", flush=True)
        self.results["checks"]["uncached_hit_share"] = round(share, 4)
        self._row("uncached availability", app, base)
        # A reference with no target: the same misses beside a baseline that also does the
        # two Redis round trips a read-through cache's miss cannot avoid (its lookup before
        # the query, its write-back after), which the baseline above leaves out.
        app, base = await self._alternate(
            self._fresh_day_paths(""),
            self._fresh_day_paths("/miss"),
            before=self._flush,
            while_app_runs=self._keep_flushing,
        )
        self._row("uncached vs GET+query+SET", app, base, "reference, no target")

    async def _keep_flushing(self) -> None:
        redis = Redis.from_url(self.redis_url)
        try:
            while True:
                await redis.flushdb()
                await asyncio.sleep(0.05)
        finally:
            await redis.aclose()

    async def _cache_lookups(self) -> tuple[int, int]:
        """RoomTime's read-through cache lookups so far: hits, misses (its /metrics)."""
        async with httpx.AsyncClient(base_url=self.app.base) as http:
            text = (await http.get("/metrics")).text
        counts = {"hit": 0, "miss": 0}
        for line in text.splitlines():
            if line.startswith("roomtime_cache_lookups_total{"):
                labels, _, value = line.rpartition(" ")
                for result in counts:
                    if f'result="{result}"' in labels:
                        counts[result] = int(float(value))
        return counts["hit"], counts["miss"]

    async def resource(self) -> None:
        ids = self.seed.read_ids
        app, base = await self._alternate(
            [f"/resources/{i}" for i in ids],
            [f"/db/resources/{i}" for i in ids],
            profile="resource",
        )
        self._row("resource by id", app, base)

    async def listing(self) -> None:
        # A filter makes it a PostgreSQL read every time (the plain list is cached).
        offsets = range(0, len(self.seed.read_ids), 20)
        query = "min_capacity=1&limit=20&offset={}"
        app, base = await self._alternate(
            [f"/resources?{query.format(o)}" for o in offsets],
            [f"/db/resources?{query.format(o)}" for o in offsets],
            profile="listing",
        )
        self._row("resource listing", app, base)

    async def write(self) -> None:
        mine = Writer.for_server(self.app, "app", self.seed)
        theirs = Writer.for_server(self.base, "base", self.seed)
        # Unmeasured first: each side fills its connection pool and prepares its statements
        # on every connection (RoomTime has more of them), which a server that has run for a
        # minute has long done. The measured rounds then compare the two warm.
        for writer in (mine, theirs):
            await writer.pairs(WARM_UP_SECONDS)
        pairs: dict[str, list[Load]] = {"app": [], "base": []}
        for r in range(self.args.rounds):
            order = [mine, theirs] if r % 2 == 0 else [theirs, mine]
            for writer in order:
                with self._profiled(writer is mine and r == 0, "hold-confirm"):
                    pairs[writer.side].append(await writer.pairs(self.args.seconds))
        self._row("hold + confirm", _mean(pairs["app"]), _mean(pairs["base"]), "pairs/s")
        cancels: dict[str, list[Load]] = {"app": [], "base": []}
        total = min(len(mine.confirmed), len(theirs.confirmed))
        warm = total // 10
        for writer in (mine, theirs):
            await writer.cancels(WARM_UP_SECONDS, warm)
        share = (total - warm) // self.args.rounds
        for r in range(self.args.rounds):
            order = [mine, theirs] if r % 2 == 0 else [theirs, mine]
            for writer in order:
                limit = warm + share * (r + 1)
                with self._profiled(writer is mine and r == 0, "cancel"):
                    cancels[writer.side].append(await writer.cancels(self.args.seconds, limit))
        self._row("cancel", _mean(cancels["app"]), _mean(cancels["base"]))

    @contextlib.contextmanager
    def _profiled(self, wanted: bool, name: str) -> Iterator[None]:
        """py-spy RoomTime while the block drives it, when --profile asked for it."""
        spy = _spy(self.app, self.args.seconds, name) if wanted and self.args.profile else None
        try:
            yield
        finally:
            if spy is not None:
                spy.wait()
                _summarise(name)

    async def workers(self) -> None:
        two = self.start_two_workers()
        rid, day = self.seed.read_ids[0], self._days()[2]
        path = f"/resources/{rid}/availability?date={day}"
        async with httpx.AsyncClient() as http:
            await http.get(self.app.base + path)
            await http.get(two.base + path)
        one_loads: list[Load] = []
        two_loads: list[Load] = []
        for r in range(self.args.rounds):
            order = [(self.app, one_loads), (two, two_loads)]
            for server, into in order if r % 2 == 0 else order[::-1]:
                into.append(
                    await asyncio.to_thread(wrk, server.base, [path], self.args.seconds, 32)
                )
        self._row("2 workers / 1 (cached)", _mean(two_loads), _mean(one_loads), "--workers 2 vs 1")
        self.results["two_workers_base"] = two.base

    async def contention(self) -> None:
        base = self.results.get("two_workers_base") or self.start_two_workers().base
        self.results["checks"]["contention"] = await contention.run(base, self.seed)
        print(f"   contention: {self.results['checks']['contention']}", flush=True)

    async def scale(self) -> None:
        found = await scale.run(self.app.base, self.redis_url, self.db_url, self.seed)
        self.results["checks"]["scale"] = found
        summary = {k: v for k, v in found.items() if k not in ("small", "large")}
        for size in ("small", "large"):
            part = found[size]
            summary[size] = {
                "size": part["size"],
                "availability_miss_p50_ms": part["availability_miss"]["p50_ms"],
                "hold_p50_ms": part["hold"]["p50_ms"],
                "holds_refused": part["holds_refused"],
            }
        print(f"   scale: {summary}", flush=True)

    async def memory(self) -> None:
        rid = self.seed.read_ids[0]
        mixed = [f"/resources/{rid}/availability?date={self._days()[1]}", "/resources",
                 "/health/live"]  # fmt: skip
        fresh = self._fresh_day_paths("")
        paths: list[str] = []
        for i, day_path in enumerate(fresh):
            paths += [day_path, mixed[i % 3], f"/resources/{self.seed.read_ids[i % 200]}"]
        pid = self.app.proc.pid
        warm = await asyncio.to_thread(wrk, self.app.base, paths, 5, name="memory")
        start_rss, done, peak = rss_kib(pid), warm.count, rss_kib(pid)
        while done < self.args.memory_requests:
            load = await asyncio.to_thread(wrk, self.app.base, paths, 20, name="memory")
            done += load.count
            peak = max(peak, rss_kib(pid))
        end_rss = rss_kib(pid)
        growth = (end_rss - start_rss) / start_rss * 100
        self.results["checks"]["memory"] = {
            "requests": done,
            "rss_after_warmup_mb": round(start_rss / 1024, 1),
            "rss_end_mb": round(end_rss / 1024, 1),
            "rss_peak_mb": round(peak / 1024, 1),
            "growth_percent": round(growth, 1),
            "met": peak < 200 * 1024 and growth < 10,
        }
        print(f"   memory: {self.results['checks']['memory']}", flush=True)
