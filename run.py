#!/usr/bin/env python3
"""Set-up and run RoomTime on a machine that has only Python 3.11+.

    python3 run.py dev     # the service: embedded PostgreSQL + Redis, migrated, seeded
    python3 run.py test    # the whole test suite (extra arguments go to pytest)
    python3 run.py bench   # hot paths as ratios to their baselines (bench/run.py --help)
    python3 run.py ui-shots  # run the browser tests, then refresh the README's UI tour (docs/ui)
    python3 run.py nemesis [--seed N] [--duration S] [--short]  # fault injection, then checks

Creates `.venv` on first use and installs the locked dependencies into it: the runtime lock
(requirements.lock, all that production installs) and the dev lock (requirements-dev.lock,
the test and lint tools, pinned consistently with it). Later runs reinstall only when a lock
or pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("ROOMTIME_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".roomtime-installed"
NO_TESTS_COLLECTED = 5
LOCKS = ("requirements.lock", "requirements-dev.lock")
SHOTS = ROOT / ".ui-shots"  # every page at both widths (ignored by git)
# The desktop screenshots the README's UI tour shows, copied into docs/ui.
TOUR = ("browse", "day", "hold", "my-bookings", "login", "admin-resource", "admin-report",
        "day-ru", "events", "event-pending", "specialist", "specialist-services",
        "notifications", "change-booking")  # fmt: skip


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in (*LOCKS, "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"RoomTime needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    fingerprint = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    print("installing locked dependencies", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    locks = [arg for name in LOCKS for arg in ("-r", str(ROOT / name))]
    subprocess.run([*pip, *locks], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(fingerprint)


def _ui_shots(rest: list[str]) -> int:
    code = subprocess.call([str(PYTHON), "-m", "pytest", "-q", "tests/ui", *rest])
    if code != 0:
        return code
    tour = ROOT / "docs" / "ui"
    tour.mkdir(parents=True, exist_ok=True)
    for name in TOUR:
        (tour / f"{name}.png").write_bytes((SHOTS / f"{name}-desktop.png").read_bytes())
    print(f"{len(TOUR)} screenshots written to {tour.relative_to(ROOT)}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"dev", "test", "bench", "roomtime", "ui-shots", "nemesis"}:
        print(__doc__)
        return 2
    _ensure_environment()
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if command == "test":
        code = subprocess.call([str(PYTHON), "-m", "pytest", *rest])
        if code == NO_TESTS_COLLECTED:
            print("pytest collected no tests: treating that as a failure", file=sys.stderr)
            return 1
        return code
    if command == "ui-shots":
        return _ui_shots(rest)
    if command == "nemesis":
        return subprocess.call([str(PYTHON), "-m", "tests.nemesis", *rest])
    if command == "bench":
        return subprocess.call([str(PYTHON), str(ROOT / "bench" / "run.py"), *rest])
    args = ["dev"] if command == "dev" else rest
    # exec: Ctrl-C goes straight to `roomtime`, which stops what it started.
    os.execv(str(PYTHON), [str(PYTHON), "-m", "roomtime", *args])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
