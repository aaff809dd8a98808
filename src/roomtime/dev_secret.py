"""The JWT secret of a deployment without JWT_SECRET (development only): generated once
and kept in DATA_DIR, so a restarted dev server does not log everyone out."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache
from pathlib import Path


@lru_cache
def secret_kept_in(data_dir: Path) -> str:
    # Cached: it is read for every token issued or checked.
    path = data_dir / "jwt_secret"
    if not path.exists():
        _create_secret_file(path)
    return path.read_text().strip()


def _create_secret_file(path: Path) -> None:
    """Write a new secret to `path` unless another process got there first.

    Several processes (uvicorn workers, the job worker) may start at once on an empty
    DATA_DIR. Each writes its candidate to a private temporary file created with mode 0600
    (never readable by others, not even for a moment) and then hard-links it into place:
    the link fails if the file exists, so the first writer wins and every process reads
    that one complete secret.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use its secret
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
