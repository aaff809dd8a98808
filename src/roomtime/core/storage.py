"""Where uploaded files live: a local directory (here) or an S3-compatible bucket
(`core.s3storage`), both behind the `Storage` protocol the files domain uses.

Keys are server-generated relative paths (`ab/ab12….png`). Every key is resolved against
the root and refused if it would land outside it, so even a corrupted database row cannot
make the service read or delete an arbitrary file.

An upload is always first written to a local temp file under `.incoming/`, where its size
is counted and its content checked; `store` then moves it into place (a rename on disk, a
streamed upload to a bucket).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

import anyio.to_thread

INCOMING = ".incoming"
_TEMP_SUFFIX = ".part"


class StoragePathError(ValueError):
    """A key that is not a plain relative path inside the storage root."""


class StorageUnavailable(Exception):  # noqa: N818 - a condition, not a programming error
    """The store did not answer or failed (a bucket's server down, refused credentials)."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    modified_at: datetime


@dataclass
class TempFile:
    """A file being written under `.incoming/`; promote it or discard it."""

    key: str
    handle: BinaryIO


@dataclass(frozen=True)
class LocalFile:
    """Serve this file from disk."""

    path: Path


@dataclass(frozen=True)
class Redirect:
    """Send the client here (a presigned URL that expires)."""

    url: str


@dataclass(frozen=True)
class Stream:
    """Relay these bytes; `close` releases the connection they come from."""

    chunks: AsyncIterator[bytes]
    size: int
    close: Callable[[], Awaitable[None]]


FileSource = LocalFile | Redirect | Stream


class Storage(Protocol):
    """What the files domain needs of a storage backend."""

    async def create_temp(self) -> TempFile: ...

    def temp_path(self, temp: TempFile) -> Path: ...

    def discard(self, temp: TempFile) -> None: ...

    def new_key(self, extension: str) -> str: ...

    async def store(self, temp: TempFile, key: str) -> None: ...

    async def remove(self, key: str) -> bool: ...

    async def list_objects(self) -> list[StoredFile]: ...

    async def source(self, key: str, *, mime: str, disposition: str) -> FileSource | None: ...


def check_key(key: str) -> str:
    """A plain relative key (`ab/ab12….png`); anything else raises StoragePathError."""
    if not key or "\x00" in key or key.startswith(("/", "\\")) or "\\" in key:
        raise StoragePathError(f"invalid storage key {key!r}")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise StoragePathError(f"invalid storage key {key!r}")
    return key


def random_key(extension: str) -> str:
    """A random final key, sharded by its first two characters to keep listings small."""
    name = secrets.token_hex(16)
    return f"{name[:2]}/{name}.{extension}"


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path_for(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise StoragePathError(f"storage key {key!r} leaves the storage root")
        return path

    def open_temp(self) -> TempFile:
        """A new, empty, private file with a random name under `.incoming/`."""
        incoming = self.root / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        key = f"{INCOMING}/{secrets.token_hex(16)}{_TEMP_SUFFIX}"
        # O_EXCL: never reuse (or follow a symlink planted at) an existing name.
        fd = os.open(self.path_for(key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return TempFile(key=key, handle=os.fdopen(fd, "wb"))

    def new_key(self, extension: str) -> str:
        return random_key(extension)

    def promote(self, temp: TempFile, key: str) -> None:
        """Move a finished temp file to `key` atomically: readers never see a partial file."""
        temp.handle.close()
        source = self.path_for(temp.key)
        target = self.path_for(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        source.chmod(0o644)
        source.replace(target)
        # Cleanup's grace period counts from here, however long the upload itself took.
        os.utime(target)

    def discard(self, temp: TempFile) -> None:
        temp.handle.close()
        self.delete(temp.key)

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def delete(self, key: str) -> bool:
        """Remove the file at `key`; False when there was none."""
        try:
            self.path_for(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def iter_files(self) -> Iterator[StoredFile]:
        """Every regular file under the root (temp files included), with size and mtime."""
        if not self.root.is_dir():
            return
        for directory, _dirs, files in os.walk(self.root, followlinks=False):
            for name in files:
                path = Path(directory) / name
                try:
                    info = path.lstat()
                except FileNotFoundError:  # removed since the directory was listed
                    continue
                if stat.S_ISREG(info.st_mode):  # symlinks are never ours: leave them be
                    yield StoredFile(
                        key=path.relative_to(self.root).as_posix(),
                        size=info.st_size,
                        modified_at=datetime.fromtimestamp(info.st_mtime, UTC),
                    )

    # The Storage protocol: the blocking work above, off the event loop.

    async def create_temp(self) -> TempFile:
        return await anyio.to_thread.run_sync(self.open_temp)

    def temp_path(self, temp: TempFile) -> Path:
        return self.path_for(temp.key)

    async def store(self, temp: TempFile, key: str) -> None:
        await anyio.to_thread.run_sync(self.promote, temp, key)

    async def remove(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self.delete, key)

    async def list_objects(self) -> list[StoredFile]:
        return await anyio.to_thread.run_sync(lambda: list(self.iter_files()))

    async def source(self, key: str, *, mime: str, disposition: str) -> FileSource | None:
        path = self.path_for(key)
        return LocalFile(path) if await anyio.to_thread.run_sync(path.is_file) else None
