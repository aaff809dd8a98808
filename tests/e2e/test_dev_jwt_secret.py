"""The development JWT secret in DATA_DIR: processes starting at once against an empty
DATA_DIR (an API with several workers, a worker beside it) all end up with one secret,
in a file only its owner can read."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROCESSES = 10
ROUNDS = 4  # a lost race is likely, not certain, in one round: several make it near-certain

# Each process imports everything first, says it is ready, then waits for the same "go",
# so that all of them reach the secret file within a millisecond or two of each other.
_READ_SECRET = """
import sys, time
from pathlib import Path
from roomtime.settings import Settings
settings = Settings()
sync = Path(sys.argv[1])
(sync / f"ready-{sys.argv[2]}").touch()
while not (sync / "go").exists():
    time.sleep(0.0005)
print(settings.resolved_jwt_secret())
"""


def _start(sync: Path, data_dir: Path, index: int) -> subprocess.Popen[str]:
    env = {**os.environ, "DATA_DIR": str(data_dir), "JWT_SECRET": "", "ENVIRONMENT": ""}
    return subprocess.Popen(
        [sys.executable, "-c", _READ_SECRET, str(sync), str(index)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _race(data_dir: Path, sync: Path) -> set[str]:
    sync.mkdir()
    procs = [_start(sync, data_dir, n) for n in range(PROCESSES)]
    deadline = time.monotonic() + 60
    while len(list(sync.glob("ready-*"))) < PROCESSES:
        assert time.monotonic() < deadline, "the processes did not get ready"
        assert all(p.poll() is None for p in procs), procs[0].communicate()
        time.sleep(0.01)
    (sync / "go").touch()
    secrets = set()
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        secrets.add(out.strip())
    return secrets


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_racing_processes_share_one_secret_with_mode_0600(tmp_path: Path, round_: int) -> None:
    data_dir = tmp_path / "data"
    [secret] = _race(data_dir, tmp_path / "sync")

    assert len(secret) >= 32
    path = data_dir / "jwt_secret"
    assert path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in data_dir.iterdir()] == ["jwt_secret"]  # no temporary files left
