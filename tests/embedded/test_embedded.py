"""Embedded PostgreSQL/Redis: both binary routes, persistence, orphan-freedom, URL passthrough."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import asyncpg
import pytest
import redis

from roomtime import embedded
from roomtime._embedded_bin import find_postgres, find_redis
from roomtime.embedded import (
    EmbeddedUnavailableError,
    embedded_services,
    start_postgres,
    start_redis,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Short path under /tmp: the postgres Unix socket lives inside it (sun_path limit).
    path = Path(tempfile.mkdtemp(prefix="rt-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _pg_execute(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _pg_fetchval(url: str, query: str) -> object:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


def _is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # An orphan that exited but is not reaped yet (PID 1 may be slow to reap) is gone too.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _pids_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and not _is_gone(int(entry.name)):
            found.append(int(entry.name))
    return found


def _write_then_read_back(data_dir: Path, source: Literal["bundled", "system"]) -> list[int]:
    """Write a row and a key, restart both servers on the same data dir, read them back."""
    postgres = start_postgres(data_dir, source=source)
    redis_server = start_redis(data_dir, source=source)
    try:
        assert postgres.url.startswith("postgresql+asyncpg://postgres@127.0.0.1:")
        assert postgres.url.endswith("/roomtime")
        asyncio.run(
            _pg_execute(
                postgres.url,
                "CREATE TABLE marker (value text)",
                "INSERT INTO marker VALUES ('kept')",
            )
        )
        with redis.Redis.from_url(redis_server.url) as client:
            client.set("marker", "kept")
    finally:
        redis_server.stop()
        postgres.stop()
    postgres_again = start_postgres(data_dir, source=source)
    redis_again = start_redis(data_dir, source=source)
    try:
        assert asyncio.run(_pg_fetchval(postgres_again.url, "SELECT value FROM marker")) == "kept"
        with redis.Redis.from_url(redis_again.url) as client:
            assert client.get("marker") == b"kept"
    finally:
        redis_again.stop()
        postgres_again.stop()
    postgres_again.stop()  # idempotent
    redis_again.stop()
    return [postgres.pid, redis_server.pid, postgres_again.pid, redis_again.pid]


def _assert_all_gone(pids: list[int], data_dir: Path) -> None:
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert _pids_mentioning(str(data_dir)) == []


def test_bundled_route_persists_across_restarts(data_dir: Path) -> None:
    pids = _write_then_read_back(data_dir, "bundled")
    _assert_all_gone(pids, data_dir)


def test_system_route_persists_across_restarts(data_dir: Path) -> None:
    pids = _write_then_read_back(data_dir, "system")
    _assert_all_gone(pids, data_dir)


def test_stale_pid_file_is_cleared_and_live_server_is_refused(data_dir: Path) -> None:
    postgres = start_postgres(data_dir, dbname="first db", source="bundled")
    try:
        with pytest.raises(RuntimeError, match="already running"):
            start_postgres(data_dir, source="bundled")
        # Also exercises the asyncpg fallback used where psql is missing.
        port = int(postgres.url.rsplit(":", 1)[1].split("/")[0])
        embedded._create_database_asyncpg(port, 'odd "name"')
        query = "SELECT count(*) FROM pg_database WHERE datname IN ('first db', 'odd \"name\"')"
        assert asyncio.run(_pg_fetchval(postgres.url, query)) == 2
    finally:
        postgres.stop()
    dead_pid = _a_dead_pid()
    (data_dir / "postgres" / "postmaster.pid").write_text(f"{dead_pid}\n{data_dir}/postgres\n")
    restarted = start_postgres(data_dir, dbname="first db", source="bundled")
    restarted.stop()


def _a_dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


_ORPHAN_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from roomtime.embedded import start_postgres, start_redis

    data_dir = Path(sys.argv[1])
    postgres = start_postgres(data_dir, source="bundled")
    redis_server = start_redis(data_dir, source="bundled")
    print("PIDS", postgres.pid, redis_server.pid, flush=True)
    time.sleep(120)
    """
)


def _read_pids(parent: subprocess.Popen[str]) -> list[int]:
    assert parent.stdout is not None
    for line in parent.stdout:
        if line.startswith("PIDS "):
            return [int(pid) for pid in line.split()[1:]]
    pytest.fail(f"helper process exited (code {parent.wait()}) without starting the servers")


def test_sigkilled_parent_leaves_no_orphans(data_dir: Path) -> None:
    command = [sys.executable, "-c", _ORPHAN_SCRIPT, str(data_dir)]
    pids: list[int] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as parent:
        try:
            pids = _read_pids(parent)
            parent.send_signal(signal.SIGKILL)
            parent.wait()
            deadline = time.monotonic() + 10
            while not all(_is_gone(pid) for pid in pids) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert [pid for pid in pids if not _is_gone(pid)] == []
        finally:
            parent.kill()
            for pid in pids:
                if not _is_gone(pid):
                    os.kill(pid, signal.SIGKILL)


def test_given_urls_are_passed_through_and_nothing_starts(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_start(*args: object, **kwargs: object) -> None:
        raise AssertionError("no embedded server should start when both URLs are given")

    monkeypatch.setattr(embedded, "start_postgres", must_not_start)
    monkeypatch.setattr(embedded, "start_redis", must_not_start)
    db_url = "postgresql+asyncpg://app@db.example:5432/roomtime"
    redis_url = "redis://cache.example:6379/2"
    with embedded_services(data_dir, database_url=db_url, redis_url=redis_url) as urls:
        assert urls == (db_url, redis_url)
    assert list(data_dir.iterdir()) == []


@pytest.mark.parametrize("server", ["postgres", "redis"])
def test_unavailable_error_names_the_ways_out(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(EmbeddedUnavailableError) as caught:
        if server == "postgres":
            find_postgres("system", search_path="", system_roots=())
        else:
            find_redis("system", search_path="")
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert "Python 3.12" in message
    assert "install the PostgreSQL and Redis server binaries" in message
    assert "DATABASE_URL" in message
    assert "REDIS_URL" in message
