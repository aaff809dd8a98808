"""Stream a multipart body to a temp file, counting and hashing as it arrives.

Starlette's `UploadFile` would spool the whole body before the handler runs; reading the
stream here lets an oversized upload be refused after MAX bytes, with nothing left behind.
The body arrives as an async iterator of bytes, so this module knows nothing of HTTP
frameworks and a test can feed it directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from roomtime.core.storage import Storage, TempFile
from roomtime.domains.files.errors import (
    FileTooLargeError,
    InvalidUploadError,
    MalformedMultipartError,
)

FILE_FIELD = "file"
HEAD_BYTES = 8192  # what type sniffing looks at
# Room for the boundary lines and part headers around a file of exactly MAX bytes.
MULTIPART_OVERHEAD = 16 * 1024
MAX_PARTS = 16


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int

    @property
    def body_limit(self) -> int:
        return self.max_bytes + MULTIPART_OVERHEAD


@dataclass
class ReceivedFile:
    temp: TempFile
    size: int
    sha256: str
    head: bytes
    filename: str | None
    declared_type: str | None


def too_large(limits: UploadLimits) -> FileTooLargeError:
    return FileTooLargeError(
        f"The file exceeds the limit of {limits.max_bytes} bytes", max_bytes=limits.max_bytes
    )


def check_declared_length(content_length: str | None, limits: UploadLimits) -> None:
    """Refuse a body announced as too large before a byte of it is read."""
    if content_length is None:
        return
    try:
        length = int(content_length)
    except ValueError:
        raise MalformedMultipartError("Content-Length is not a number") from None
    if length > limits.body_limit:
        raise too_large(limits)


def boundary_of(content_type: str | None) -> bytes:
    media_type, params = parse_options_header(content_type or "")
    if media_type != b"multipart/form-data":
        raise InvalidUploadError(
            "Send multipart/form-data with the file in the field `file`",
            details=[{"field": "body", "message": "expected multipart/form-data", "type": "type"}],
        )
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedMultipartError("The multipart Content-Type has no boundary")
    return boundary


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


@dataclass
class _FilePart:
    """Parser callbacks: collect the `file` part's bytes; other parts are skipped."""

    max_bytes: int
    parts: int = 0
    in_file: bool = False
    found: bool = False
    finished: bool = False
    size: int = 0
    filename: str | None = None
    declared_type: str | None = None
    pending: list[bytes] = field(default_factory=list)
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _name: bytearray = field(default_factory=bytearray)
    _value: bytearray = field(default_factory=bytearray)

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise MalformedMultipartError(f"More than {MAX_PARTS} parts")
        self._headers.clear()

    def _header_end(self) -> None:
        self._headers[bytes(self._name).strip().lower()] = bytes(self._value).strip()
        self._name.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        if params.get(b"name") != FILE_FIELD.encode():
            return
        if self.found:
            raise InvalidUploadError("Send exactly one file in the field `file`")
        self.found = self.in_file = True
        raw_name = params.get(b"filename")
        self.filename = None if raw_name is None else _decode(raw_name)
        declared, _ = parse_options_header(self._headers.get(b"content-type", b""))
        self.declared_type = _decode(declared) or None

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self.in_file:
            return
        self.size += end - start
        if self.size > self.max_bytes:
            # Raised inside the parser: it stops at once, mid-chunk.
            raise FileTooLargeError(max_bytes=self.max_bytes)
        self.pending.append(bytes(data[start:end]))

    def _part_end(self) -> None:
        self.in_file = False

    def _end(self) -> None:
        self.finished = True


def _write(handle: Any, hasher: Any, data: bytes) -> None:
    handle.write(data)
    hasher.update(data)


async def receive_upload(
    body: AsyncIterator[bytes],
    content_type: str | None,
    storage: Storage,
    limits: UploadLimits,
) -> ReceivedFile:
    """Write the `file` field of a multipart body to a temp file, within `limits`.

    On any failure (too large, malformed, client gone) the temp file is removed.
    """
    boundary = boundary_of(content_type)
    part = _FilePart(limits.max_bytes)
    try:
        parser = MultipartParser(boundary, part.callbacks())  # type: ignore[arg-type]
    except FormParserError as exc:
        raise MalformedMultipartError("Unusable multipart boundary") from exc
    temp = await storage.create_temp()
    try:
        received = await _pump(body, parser, part, temp, limits)
    except BaseException:
        storage.discard(temp)  # no await: it must happen even when the task is cancelled
        raise
    return received


async def _pump(
    body: AsyncIterator[bytes],
    parser: MultipartParser,
    part: _FilePart,
    temp: TempFile,
    limits: UploadLimits,
) -> ReceivedFile:
    hasher = hashlib.sha256()
    head = bytearray()
    total = 0
    async for chunk in body:
        total += len(chunk)
        if total > limits.body_limit:
            raise too_large(limits)
        try:
            parser.write(chunk)
        except FileTooLargeError:
            raise too_large(limits) from None
        except FormParserError as exc:
            raise MalformedMultipartError("The multipart body could not be parsed") from exc
        if part.pending:
            data = b"".join(part.pending)
            part.pending.clear()
            head.extend(data[: HEAD_BYTES - len(head)])
            await anyio.to_thread.run_sync(_write, temp.handle, hasher, data)
    if not part.finished:
        raise MalformedMultipartError("The body ended before the closing boundary")
    if not part.found:
        raise InvalidUploadError(
            "The form has no `file` field",
            details=[{"field": "body.file", "message": "Field required", "type": "missing"}],
        )
    await anyio.to_thread.run_sync(temp.handle.flush)
    return ReceivedFile(
        temp=temp,
        size=part.size,
        sha256=hasher.hexdigest(),
        head=bytes(head),
        filename=part.filename,
        declared_type=part.declared_type,
    )
