"""The system under test as real processes: its own Redis server (so it can be paused, flushed
and restarted without touching anyone else's), a fresh PostgreSQL database, an SMTP sink, two
`roomtime api` processes and two `roomtime worker` processes.

Every child runs in its own session with a parent-death signal, and `Cluster.close` stops
what is left, so no process outlives the run, even a failed or interrupted one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import redis
from sqlalchemy.engine import make_url

from roomtime import migrate
from roomtime._embedded_bin import LOCALHOST, death_signal_preexec, find_redis, free_port
from roomtime.core.db import to_async_url
from roomtime.embedded import start_postgres
from tests.nemesis.config import RunConfig
from tests.nemesis.mailsink import MailSink

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
JWT_SECRET = "nemesis-" + "s" * 40
KEY_PREFIX = "nemesis"
EVERY_SECOND = "* * * * * *"
# The periodic jobs the run needs; the rest are off so nothing else touches its data (and
# reconcile off, so a slot left inconsistent by a fault stays visible to the checker).
JOBS_OFF = ("reconcile", "archive-bookings", "extend-slots", "cleanup-uploads", "remind-upcoming")


def plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Child:
    """One `roomtime` process the run owns, restartable on the same port."""

    name: str
    args: list[str]
    log_path: Path
    port: int | None = None
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    expected_down: bool = False  # stopped by the nemesis, not crashed

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, env: dict[str, str]) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "roomtime", *self.args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=death_signal_preexec(signal.SIGKILL),
            )
        self.starts += 1
        self.expected_down = False

    def kill(self) -> None:
        self.expected_down = True
        if self.alive:
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        self.expected_down = True
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class RedisServer:
    """A redis-server of the run's own, without persistence: a restart comes back empty."""

    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    paused: bool = False

    @property
    def url(self) -> str:
        return f"redis://{LOCALHOST}:{self.port}/0"

    def start(self) -> None:
        binary = find_redis()
        cmd = [str(binary.path), "--port", str(self.port), "--bind", LOCALHOST]
        cmd += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=death_signal_preexec(signal.SIGKILL),
            )
        self.paused = False
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.log_path}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        client = redis.Redis(host=LOCALHOST, port=self.port, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def pause(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    def flush(self) -> None:
        client = redis.Redis(host=LOCALHOST, port=self.port, socket_timeout=2)
        try:
            client.flushall()
        finally:
            client.close()

    def kill(self) -> None:
        self.resume()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Database:
    url: str  # SQLAlchemy asyncpg URL of the run's own database
    admin_dsn: str  # the server's maintenance database, for CREATE/DROP DATABASE
    name: str

    @property
    def dsn(self) -> str:
        return plain_dsn(self.url)


async def recreate_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def server_url(data_dir: Path, stack: contextlib.ExitStack) -> str:
    """The configured PostgreSQL server, or an embedded one on a fresh machine."""
    for name in ("TEST_DATABASE_URL", "DATABASE_URL"):
        if os.environ.get(name):
            return os.environ[name]
    pg = start_postgres(data_dir / "postgres-embedded", dbname="postgres")
    stack.callback(pg.stop)
    return pg.url


@dataclass
class Cluster:
    config: RunConfig
    run_dir: Path
    database: Database
    redis: RedisServer
    sink: MailSink
    apis: list[Child] = field(default_factory=list)
    workers: list[Child] = field(default_factory=list)

    @property
    def children(self) -> list[Child]:
        return [*self.apis, *self.workers]

    def api_url(self, child: Child) -> str:
        return f"http://{LOCALHOST}:{child.port}"

    def env(self) -> dict[str, str]:
        cfg = self.config
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "JOBS_"))}
        env.update(
            {
                "ENVIRONMENT": "test",
                "DATABASE_URL": self.database.url,
                "REDIS_URL": self.redis.url,
                "REDIS_KEY_PREFIX": KEY_PREFIX,
                "JWT_SECRET": JWT_SECRET,
                "DATA_DIR": str(self.run_dir / "data"),
                "LOG_FORMAT": "json",
                "LOG_LEVEL": "INFO",
                "SMTP_HOST": LOCALHOST,
                "SMTP_PORT": str(self.sink.port),
                "DB_POOL_SIZE": "5",
                "HOLD_TTL_SECONDS": str(cfg.hold_ttl_seconds),
                "SLOT_HORIZON_DAYS": "3",
                "CONFIRM_RATE_LIMIT": "100000/minute",
                "HOLD_RATE_LIMIT": "100000/minute",
                "MAX_LIVE_HOLDS_PER_USER": "1000",
                "MAX_MAILS_PER_USER_PER_HOUR": "10000",
                "NOTIFICATION_RETRY_BASE_SECONDS": "0.5",
                # A deliverer killed between taking a message and sending it leaves it for
                # a lease: short here, so the heal phase sees it sent.
                "NOTIFICATION_LEASE_SECONDS": "3",
                "WORKER_METRICS_PORT": "0",
                "JOBS_RELEASE_HOLDS_CRON": EVERY_SECOND,
                "JOBS_SEND_NOTIFICATIONS_CRON": EVERY_SECOND,
            }
        )
        for job in JOBS_OFF:
            env[f"JOBS_{job.upper().replace('-', '_')}_CRON"] = "off"
        for name in ("DATABASE_READ_URL", "PROMETHEUS_MULTIPROC_DIR", "METRICS_TOKEN"):
            env.pop(name, None)
        return env

    def start_child(self, child: Child) -> None:
        child.start(self.env())

    def wait_ready(self, child: Child) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if not child.alive:
                tail = child.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{child.name} exited while starting:\n{tail}")
            if child.port is not None and _http_ok(f"{self.api_url(child)}/health/live"):
                return
            if child.port is None and '"worker_started"' in child.log_path.read_text(
                errors="replace"
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{child.name} not ready after {START_TIMEOUT_SECONDS}s")
            time.sleep(0.1)

    def close(self) -> None:
        for child in self.children:
            child.stop()
        self.redis.kill()
        self.sink.stop()


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def running_cluster(config: RunConfig, run_dir: Path) -> Iterator[Cluster]:
    """Start everything (in the main thread: the parent-death signal is per thread), yield
    the cluster, and stop every process on the way out, whatever happened."""
    import asyncio

    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "data").mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        base = config.server_url or server_url(run_dir, stack)
        admin = make_url(to_async_url(base)).set(database="postgres")
        admin_dsn = plain_dsn(admin.render_as_string(hide_password=False))
        asyncio.run(recreate_database(admin_dsn, config.database_name))
        url = admin.set(database=config.database_name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        sink = MailSink(LOCALHOST, free_port())
        redis_server = RedisServer(run_dir / "redis.log")
        cluster = Cluster(
            config, run_dir, Database(url, admin_dsn, config.database_name), redis_server, sink
        )
        stack.callback(cluster.close)
        sink.start()
        redis_server.start()
        for n in range(config.api_processes):
            port = free_port()
            args = ["api", "--host", LOCALHOST, "--port", str(port)]
            cluster.apis.append(Child(f"api-{n + 1}", args, run_dir / f"api-{n + 1}.log", port))
        for n in range(config.worker_processes):
            cluster.workers.append(
                Child(f"worker-{n + 1}", ["worker"], run_dir / f"worker-{n + 1}.log")
            )
        for child in cluster.children:
            cluster.start_child(child)
        for child in cluster.children:
            cluster.wait_ready(child)
        yield cluster
