"""RoomTime's hot paths as ratios to the design's limits, measured in one run.

    python3 run.py bench [--quick] [--only STEP ...] [--scale] [--seconds N] [--rounds N]
                         [--app-src DIR]
    python3 run.py bench --cpu [--only PATH ...]    (CPU per request in process: bench/cpu.py)

Starts the servers named by DATABASE_URL / REDIS_URL (or embedded ones under DATA_DIR/bench),
creates a fresh database beside the configured one (BENCH_DB_NAME, default roomtime_bench),
migrates and seeds it in SQL, then serves `roomtime api` (the real CLI) and the baseline app
(bench/baseline_app.py) with the same uvicorn options. Each path is driven on both, in
alternating order round after round so the machine's noise hits both; reads by wrk, the
write path by one async httpx client (after an unmeasured warm-up of both sides). Prints a
table and writes .bench/results.json.

Steps: cached, uncached (and, as a reference without a target, the same misses beside a
baseline that also does a miss's Redis lookup and write-back), resource, listing, write
(hold+confirm, cancel), workers (two API processes against one), contention (100 clients,
one slot, after an unmeasured race), memory (RSS over many mixed requests); with
`--scale`, scale (availability miss and hold latency as the tables grow to 10^6 slots and
10^5 bookings; it grows the database, so it runs last, and `--only scale` starts it from
~10^3 slots).
`--app-src DIR` runs `roomtime api` from another source tree (a checkout of an older commit)
against the same baselines: how the before/after numbers of docs/performance.md were taken.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cpu, report, steps  # noqa: E402
from bench.drivers import require_wrk  # noqa: E402
from bench.setup import (  # noqa: E402
    OUT,
    Server,
    app_env,
    baseline_command,
    flush_redis,
    fresh_database,
    roomtime_command,
    seed,
    serve,
    services,
)

STEPS = ("cached", "uncached", "resource", "listing", "write", "workers", "contention", "memory")
ALL_STEPS = (*STEPS, "scale")


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (3 s, one round)")
    parser.add_argument(
        "--only", nargs="+", choices=sorted({*ALL_STEPS, *cpu.PATHS}), help="run only these steps"
    )
    parser.add_argument("--seconds", type=float, help="length of each measured run")
    parser.add_argument("--rounds", type=int, help="alternating rounds per path")
    parser.add_argument("--memory-requests", type=int, help="requests of the memory step")
    parser.add_argument("--app-src", help="run roomtime from this source tree (its src/)")
    parser.add_argument(
        "--scale", action="store_true", help="add the scale step (10^6 slots; runs last)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy RoomTime's first run of each path"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="CPU per request in process instead (bench/cpu.py; --only picks its paths)",
    )
    parser.add_argument("--output", default=str(OUT / "results.json"))
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.memory_requests = args.memory_requests or (20_000 if args.quick else 100_000)
    if args.cpu:
        unknown = set(args.only or ()) - set(cpu.PATHS)
        if unknown:
            parser.error(f"--cpu measures {', '.join(cpu.PATHS)}, not {', '.join(unknown)}")
    args.steps = args.only or list(cpu.PATHS if args.cpu else STEPS)
    if args.scale and "scale" not in args.steps:
        args.steps.append("scale")
    return args


def _cpu(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        found = services(stack)
        name = os.environ.get("BENCH_DB_NAME", "roomtime_bench")
        redis_url = f"{found.redis_base}/{int(os.environ.get('BENCH_REDIS_DB', '15'))}"
        rows = asyncio.run(cpu.run(found.server_url, redis_url, args.steps, name))
    output = Path(args.output).with_name("cpu.json")
    output.write_text(json.dumps({"machine": os.cpu_count(), "rows": rows}, indent=2))
    print(f"\n{'path':24}{'RoomTime µs':>12}{'baseline µs':>12}{'ratio':>7}")
    for row in rows:
        print(f"{row['path']:24}{row['roomtime']:>12}{row['baseline']:>12}{row['ratio']:>7}")
    print(f"\nwritten to {output}")
    return 0


def main(argv: list[str]) -> int:
    args = _args(argv)
    if args.cpu:
        return _cpu(args)
    require_wrk()
    OUT.mkdir(exist_ok=True)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "seconds": args.seconds,
        "rounds": args.rounds,
        "rows": [],
        "checks": {},
    }
    with ExitStack() as stack:
        found = services(stack)
        name = os.environ.get("BENCH_DB_NAME", "roomtime_bench")
        redis_url = f"{found.redis_base}/{int(os.environ.get('BENCH_REDIS_DB', '15'))}"
        # The scale step grows the database for good: it always runs last.
        run_steps = sorted(args.steps, key=lambda s: s == "scale")
        if run_steps:
            url = asyncio.run(fresh_database(found.server_url, name))
            # A fresh database reuses ids and times: a hold lock or cached day left in Redis
            # by an earlier run would refuse this run's holds or answer its reads.
            asyncio.run(flush_redis(redis_url))
            # Alone, the scale step starts small (~10^3 slots) to compare with 10^6.
            small = run_steps == ["scale"]
            data = asyncio.run(
                seed(
                    url,
                    resources=3 if small else 200,
                    days=30,
                    users=4000,
                    write_days=1 if small else 30,
                )
            )
            env = app_env(url, redis_url, args.app_src)
            base_env = app_env(url, redis_url, None)
            app = stack.enter_context(serve("roomtime", roomtime_command(), env))
            base = stack.enter_context(serve("baseline", baseline_command(), base_env, "/db"))

            def two_workers() -> Server:
                return stack.enter_context(serve("roomtime-2", roomtime_command(2), env))

            bench = steps.Bench(args, data, app, base, redis_url, url, results, two_workers)
            for step in run_steps:
                print(f"-- {step}", flush=True)
                asyncio.run(getattr(bench, step)())
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2, default=str))
    print(report.table(results))
    print(f"\nwritten to {Path(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
