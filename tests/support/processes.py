"""Start the real `roomtime` processes for end-to-end tests and stop them cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOMTIME = [sys.executable, "-m", "roomtime"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A loopback port nobody listens on: for pointing a client at a dead server."""
    return free_port()  # bound and released again, so nothing is listening there


def wait_for_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited early with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {timeout}s")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@contextmanager
def roomtime_process(
    *args: str, env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    full_env = {**os.environ, **env}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*ROOMTIME, *args], env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield proc
        finally:
            stop(proc)


def pids_with_arg(fragment: str) -> list[int]:
    """Processes whose command line mentions `fragment` (e.g. a data directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if fragment in cmdline:
            found.append(int(entry.name))
    return found
