"""MAX_UPLOAD_BYTES is enforced while streaming, and from Content-Length before reading."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from roomtime.domains.files._receive import MULTIPART_OVERHEAD
from tests.api.files.conftest import MAX_BYTES, FilesApp
from tests.factories import files
from tests.factories.auth import Caller

pytestmark = pytest.mark.api


def _assert_too_large(r: httpx.Response) -> None:
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "file_too_large"


async def test_exactly_the_limit_is_accepted(files_app: FilesApp, room: int, admin: Caller) -> None:
    r = await files_app.upload(room, files.pdf(MAX_BYTES), admin, filename="a.pdf")
    assert r.status_code == 201, r.text
    assert r.json()["size_bytes"] == MAX_BYTES


async def test_one_byte_over_is_413_and_leaves_nothing_on_disk(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    r = await files_app.upload(room, files.pdf(MAX_BYTES + 1), admin, filename="a.pdf")
    _assert_too_large(r)
    assert r.json()["max_bytes"] == MAX_BYTES
    assert files_app.upload_dir.joinpath(".incoming").is_dir()  # the temp file was made...
    assert files_app.stored_files() == []  # ...and removed


class _Counting:
    """A chunked request body that records how much of it the server pulled."""

    def __init__(self, prefix: bytes, total: int, chunk: int = 8192) -> None:
        self.prefix, self.total, self.chunk, self.sent = prefix, total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.prefix
        while self.sent < self.total:
            self.sent += self.chunk
            yield b"\0" * self.chunk


async def test_chunked_body_without_length_is_cut_off_once_over_the_limit(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    head, headers = files.multipart(b"", filename="big.pdf")
    prefix = head[: head.rindex(b"\r\n--")]  # the part headers, then endless data
    body = _Counting(prefix, total=10 * MAX_BYTES)
    r = await files_app.client.post(
        f"/resources/{room}/file", content=body, headers=headers | admin.headers
    )
    _assert_too_large(r)
    assert MAX_BYTES <= body.sent <= MAX_BYTES + 2 * body.chunk  # stopped reading right away
    assert files_app.stored_files() == []


@pytest.mark.parametrize("who", ["admin", "anonymous"])
async def test_content_length_over_the_limit_is_refused_before_reading(
    files_app: FilesApp, room: int, admin: Caller, who: str
) -> None:
    _, headers = files.multipart(b"")
    body = _Counting(b"", total=MAX_BYTES)
    declared = MAX_BYTES + MULTIPART_OVERHEAD + 1
    headers |= {"Content-Length": str(declared)}
    if who == "admin":
        headers |= admin.headers
    r = await files_app.client.post(f"/resources/{room}/file", content=body, headers=headers)
    _assert_too_large(r)
    assert body.sent == 0  # not a byte was read (and, for anonymous, before authentication)
    assert files_app.stored_files() == []


async def test_a_non_numeric_content_length_is_400(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    content, headers = files.multipart(files.png(), filename="a.png")
    r = await files_app.client.post(
        f"/resources/{room}/file",
        content=_Counting(content, total=0),
        headers=headers | admin.headers | {"Content-Length": "lots"},
    )
    assert r.status_code == 400 and r.json()["code"] == "malformed_multipart"
