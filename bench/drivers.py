"""Load generators: wrk for reads (a lua script for varying paths), one async httpx client
for the write path (each pair needs the answer of its first request)."""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.setup import OUT, ROOT

LUA = ROOT / "bench" / "wrk" / "paths.lua"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Load:
    rate: float  # requests (or pairs) per second
    p50_ms: float
    p99_ms: float
    count: int
    errors: int

    def as_dict(self) -> dict[str, float]:
        return {
            "rate": round(self.rate, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "count": self.count,
            "errors": self.errors,
        }


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian/Ubuntu package)")
    return found


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    base: str, paths: Sequence[str], seconds: float, connections: int = 16, name: str = "run"
) -> Load:
    """GET the paths in turn (each thread from its own start) for `seconds`."""
    OUT.mkdir(exist_ok=True)
    listing = OUT / f"paths-{name}.txt"
    listing.write_text("\n".join(paths) + "\n")
    threads = 1  # two CPUs: the servers need the other one
    command = [
        require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--latency", "-s", str(LUA), base, "--", str(listing), str(threads),
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return _parse(out)


def _parse(out: str) -> Load:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    count = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+(\S+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket:
        errors += sum(int(g) for g in socket.groups())
    return Load(
        rate, _ms(p50.group(1)) if p50 else 0, _ms(p99.group(1)) if p99 else 0, count, errors
    )


def summarise(latencies: list[float], count: int, errors: int, elapsed: float) -> Load:
    ordered = sorted(latencies) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Load(count / elapsed, statistics.median(ordered) * 1000, p99 * 1000, count, errors)


async def drive(
    work: Callable[[int], Awaitable[bool]],
    *,
    seconds: float,
    concurrency: int,
    start: int = 0,
    limit: int | None = None,
) -> tuple[Load, int]:
    """Run `work(i)` for i = start, start+1, ... from `concurrency` tasks until time is up;
    work returns whether it succeeded. Returns the load and the next unused i."""
    counter = itertools.count(start)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            i = next(counter)
            if limit is not None and i >= limit:
                return
            began = time.perf_counter()
            ok = await work(i)
            latencies.append(time.perf_counter() - began)
            errors += not ok

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return summarise(latencies, len(latencies), errors, elapsed), start + len(latencies)


def client(base: str, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=base, timeout=30, limits=limits)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
