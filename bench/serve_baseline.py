"""Serve bench/baseline_app.py the way `roomtime api` serves RoomTime (same uvicorn options).

python bench/serve_baseline.py --port 8100 [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from roomtime.cli import uvicorn_options  # noqa: E402
from roomtime.settings import get_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    options = uvicorn_options(get_settings(), args.workers)
    uvicorn.run("bench.baseline_app:create_app", host=args.host, port=args.port, **options)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
