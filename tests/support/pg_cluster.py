"""A PostgreSQL primary with a streaming replica of its own, in a temporary directory, for
the read-replica tests; and the client tools (pg_dump, pg_restore) matching a server.

The binaries of one cluster come from one installation (initdb, postgres, pg_ctl and
pg_basebackup must agree on the version): `pg_config --bindir`, then
/usr/lib/postgresql/*/bin (newest first), then the one the `pgserver` wheel ships. As root,
the servers run as the unprivileged user the embedded mode uses (PostgreSQL refuses root).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from roomtime._embedded_bin import (
    LOCALHOST,
    RunAs,
    child_kwargs,
    client_env,
    free_port,
    give_dir_to,
    make_traversable,
    pg_run_as,
    terminate,
    user_kwargs,
)

CLUSTER_TOOLS = ("initdb", "postgres", "pg_ctl", "pg_basebackup", "pg_isready", "psql")
_START_TIMEOUT = 60.0


def _candidate_bin_dirs() -> list[Path]:
    found: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            found.append(Path(result.stdout.strip()))
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted(root.iterdir(), key=_version, reverse=True)
        found += [v / "bin" for v in versions]
    # Located, not imported: importing pgserver sets up its global lock machinery.
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        package = Path(next(iter(spec.submodule_search_locations)))
        found.append(package / "pginstall" / "bin")
    return found


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.name))


def major_version(bin_dir: Path) -> int:
    out = subprocess.run(
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"PostgreSQL\)\s+(\d+)", out)
    if found is None:
        raise RuntimeError(f"unexpected `postgres --version` output: {out!r}")
    return int(found.group(1))


def find_bin_dir(tools: Sequence[str], *, major: int | None = None) -> Path | None:
    """The first installation that has every tool (of that major version, if given)."""
    for bin_dir in _candidate_bin_dirs():
        if not all((bin_dir / tool).is_file() for tool in (*tools, "postgres")):
            continue
        if major is None or major_version(bin_dir) == major:
            return bin_dir
    return None


@dataclass
class Server:
    """One postgres process on a loopback port, started and stopped by the test run."""

    name: str
    bin_dir: Path
    pgdata: Path
    port: int
    run_as: RunAs | None
    log_path: Path
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@{LOCALHOST}:{self.port}/{database}"

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@{LOCALHOST}:{self.port}/{database}"

    def start(self) -> None:
        cmd = [str(self.bin_dir / "postgres"), "-D", str(self.pgdata), "-p", str(self.port)]
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                cmd,
                cwd=self.pgdata,
                stdout=log,
                stderr=subprocess.STDOUT,
                **child_kwargs(signal.SIGINT, self.name),
                **user_kwargs(self.run_as),
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while not self.accepts_queries():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        """`pg_ctl stop` (fast): what an operator would do; the process is reaped here."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            run(self, "pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w")
        terminate(proc, signal.SIGINT, self.name)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def accepts_queries(self) -> bool:
        cmd = [str(self.bin_dir / "pg_isready"), "-q", "-t", "1", *self._client_args()]
        return subprocess.run(cmd, env=client_env(), check=False).returncode == 0

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql; its single value, as text."""
        cmd = [str(self.bin_dir / "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1"]
        cmd += [*self._client_args(database), "-c", statement]
        result = subprocess.run(cmd, capture_output=True, text=True, env=client_env(), check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{self.name}: {statement!r} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def _client_args(self, database: str = "postgres") -> list[str]:
        return ["-h", LOCALHOST, "-p", str(self.port), "-U", "postgres", "-d", database]

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def run(server: Server, tool: str, *args: str) -> None:
    result = subprocess.run(
        [str(server.bin_dir / tool), *args],
        capture_output=True,
        text=True,
        env=client_env(),
        check=False,
        **user_kwargs(server.run_as),
    )
    if result.returncode != 0:
        raise RuntimeError(f"{tool} failed: {result.stdout}\n{result.stderr}")


# Small and quick: nothing here needs durability (fsync off) or much memory.
_PRIMARY_CONF = f"""
listen_addresses = '{LOCALHOST}'
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 60
"""


def _initdb(bin_dir: Path, pgdata: Path, run_as: RunAs | None, log_path: Path) -> None:
    pgdata.mkdir(mode=0o700)
    if run_as is not None:
        give_dir_to(pgdata, run_as)
    server = Server("initdb", bin_dir, pgdata, 0, run_as, log_path)
    flags = ["--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C", "-N"]
    run(server, "initdb", "-D", str(pgdata), *flags)
    with (pgdata / "postgresql.conf").open("a") as conf:
        conf.write(_PRIMARY_CONF)
    with (pgdata / "pg_hba.conf").open("a") as hba:
        hba.write(f"host replication postgres {LOCALHOST}/32 trust\n")


@dataclass
class ReplicatedCluster:
    primary: Server
    replica: Server

    def replayed(self) -> int:
        return int(self.replica.sql("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn"))

    def wait_for_replay(self, timeout: float = 30.0) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        target = int(self.primary.sql("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"))
        deadline = time.monotonic() + timeout
        while self.replayed() < target:
            if time.monotonic() > deadline:
                raise RuntimeError(f"replica stuck:\n{self.replica.log_tail()}")
            time.sleep(0.05)

    def pause_replay(self) -> None:
        self.replica.sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.replica.sql("SELECT pg_wal_replay_resume()")


@contextmanager
def replicated_cluster(base: Path) -> Iterator[ReplicatedCluster]:
    """initdb a primary, pg_basebackup -R a replica from it, start both; stop both after."""
    bin_dir = find_bin_dir(CLUSTER_TOOLS)
    if bin_dir is None:
        raise RuntimeError(
            f"No PostgreSQL installation with {', '.join(CLUSTER_TOOLS)} "
            "(looked at pg_config --bindir, /usr/lib/postgresql/*/bin and pgserver's)"
        )
    run_as = pg_run_as()
    base.mkdir(parents=True, exist_ok=True)
    if run_as is not None:
        make_traversable(base)
        give_dir_to(base, run_as)
    primary = Server("primary", bin_dir, base / "primary", free_port(), run_as, base / "p.log")
    replica = Server("replica", bin_dir, base / "replica", free_port(), run_as, base / "r.log")
    with ExitStack() as stack:
        _initdb(bin_dir, primary.pgdata, run_as, primary.log_path)
        primary.start()
        stack.callback(primary.stop)
        # -R writes standby.signal and primary_conninfo; -X stream brings the WAL it needs.
        args = ["-h", LOCALHOST, "-p", str(primary.port), "-U", "postgres"]
        run(primary, "pg_basebackup", *args, "-D", str(replica.pgdata), "-R", "-X", "stream", "-N")
        replica.pgdata.chmod(0o700)
        replica.start()
        stack.callback(replica.stop)
        yield ReplicatedCluster(primary, replica)
