"""python -m tests.nemesis [--seed N] [--duration S] [--short]: exit 1 when a check fails."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from tests.nemesis.config import RunConfig
from tests.nemesis.report import render
from tests.nemesis.runner import run


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run.py nemesis", description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, help="seconds of workload (default 90)")
    parser.add_argument("--short", action="store_true", help="the suite's short run")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--database", default=os.environ.get("NEMESIS_DB_NAME", "roomtime_nemesis"),
                        help="the database created (dropped first) on the configured server")  # fmt: skip
    parser.add_argument("--dir", type=Path, default=Path(".data/nemesis"), help="logs and history")
    args = parser.parse_args(argv)
    config = RunConfig.short(args.seed) if args.short else RunConfig(seed=args.seed)
    config = replace(config, database_name=args.database)
    if args.duration is not None:
        config = replace(config, duration_seconds=args.duration)
    if args.clients is not None:
        config = replace(config, clients=args.clients)
    outcome = run(config, (args.dir / f"seed-{args.seed}").resolve())
    print(render(outcome))
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
