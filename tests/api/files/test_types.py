"""The type comes from the content; names and declared types never make a file acceptable."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.files.conftest import FilesApp
from tests.factories import files
from tests.factories.auth import Caller

pytestmark = pytest.mark.api


@pytest.fixture(params=["local"])
def storage_kind(request: pytest.FixtureRequest) -> str:
    """Content is judged in the upload directory before a byte reaches the store, the same
    for both stores: these run on disk, and the last test shows refusals on S3 leave the
    bucket empty (uploads, serving and cleanup run on both stores in their own files)."""
    return str(request.param)


async def test_jpeg_named_png_is_stored_as_jpeg(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    r = await files_app.upload(
        room, files.jpeg(), admin, filename="x.png", content_type="application/octet-stream"
    )
    assert r.status_code == 201, r.text
    assert r.json()["mime"] == "image/jpeg"
    assert files_app.stored_files()[0].endswith(".jpg")
    download = await files_app.client.get(r.json()["url"])
    assert download.headers["content-type"] == "image/jpeg"
    assert 'filename="x.jpg"' in download.headers["content-disposition"]


async def test_a_part_without_content_type_is_judged_by_content(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    r = await files_app.upload(room, files.webp(), admin, filename="noext", content_type=None)
    assert r.status_code == 201 and r.json()["mime"] == "image/webp"


async def test_declared_alias_of_the_detected_type_is_accepted(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    r = await files_app.upload(
        room, files.jpeg(), admin, filename="a.jpg", content_type="image/jpg"
    )
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("content", "filename", "declared", "detected"),
    [
        (files.png(), "a.pdf", "application/pdf", "image/png"),
        (files.jpeg(), "x.png", "image/png", "image/jpeg"),
        (files.pdf(), "doc.png", "image/png", "application/pdf"),
    ],
    ids=["png-declared-pdf", "jpeg-declared-png", "pdf-declared-png"],
)
async def test_the_content_decides_whatever_the_declared_type(
    files_app: FilesApp,
    room: int,
    admin: Caller,
    content: bytes,
    filename: str,
    declared: str,
    detected: str,
) -> None:
    r = await files_app.upload(room, content, admin, filename=filename, content_type=declared)
    assert r.status_code == 201, r.text
    assert r.json()["mime"] == detected


@pytest.mark.parametrize(
    "content",
    [
        b"just some text, honestly a PNG\n",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<?php system($_GET['c']); ?>",
        files.zip_archive(),
        files.image("GIF"),
        b"\x89PNG\r\n",
    ],
    ids=["text", "html", "svg", "php", "zip", "gif", "png-signature-only"],
)
async def test_content_outside_the_whitelist_is_415_whatever_the_declared_type(
    files_app: FilesApp, room: int, admin: Caller, session: AsyncSession, content: bytes
) -> None:
    r = await files_app.upload(room, content, admin, filename="a.png", content_type="image/png")
    assert r.status_code == 415, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "unsupported_file_type"
    assert files_app.stored_files() == []
    assert await session.scalar(text("SELECT count(*) FROM file_upload")) == 0


@pytest.mark.parametrize(
    "content",
    [
        files.png()[:-20],
        files.png() + files.zip_archive(),
        files.png() + b"<?php echo 1; ?>",
        files.jpeg()[:-40],
        files.jpeg() + b"<script>alert(1)</script>",
        files.webp()[:-6],
        files.pdf()[:-12],
        files.pdf() + b"<html><script>alert(1)</script></html>",
    ],
    ids=[
        "png-truncated",
        "png-zip-polyglot",
        "png-php-appended",
        "jpeg-truncated",
        "jpeg-html-appended",
        "webp-truncated",
        "pdf-truncated",
        "pdf-html-appended",
    ],
)
async def test_truncated_or_polyglot_files_are_415(
    files_app: FilesApp, room: int, admin: Caller, content: bytes
) -> None:
    r = await files_app.upload(room, content, admin, filename="a.bin")
    assert r.status_code == 415, r.text
    assert r.json()["code"] == "unsupported_file_type"
    assert files_app.stored_files() == []


@pytest.mark.parametrize("side", [7000, 20000])
async def test_images_with_huge_dimensions_are_refused_without_decoding(
    files_app: FilesApp, room: int, admin: Caller, side: int
) -> None:
    r = await files_app.upload(room, files.png_header_only(side, side), admin, filename="bomb.png")
    assert r.status_code == 413 and r.json()["code"] == "image_too_large"
    assert files_app.stored_files() == []


async def test_an_empty_file_is_422(
    files_app: FilesApp, room: int, admin: Caller, session: AsyncSession
) -> None:
    r = await files_app.upload(room, b"", admin, filename="empty.png", content_type="image/png")
    assert r.status_code == 422 and r.json()["code"] == "empty_file"
    assert files_app.stored_files() == []


async def test_refusals_are_logged_in_the_audit_trail(
    files_app: FilesApp, room: int, admin: Caller, session: AsyncSession
) -> None:
    await files_app.upload(room, b"text", admin, filename="a.png", content_type="image/png")
    action, entity_id, actor, meta = (
        await session.execute(text("SELECT action, entity_id, actor_user_id, meta FROM audit_log"))
    ).one()
    assert (action, entity_id, actor) == ("file.rejected", str(room), admin.user.id)
    assert meta["code"] == "unsupported_file_type"


@pytest.mark.parametrize("storage_kind", ["s3"], indirect=True)
@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"<?php system($_GET['c']); ?>", 415, "unsupported_file_type"),
        (files.png() + files.zip_archive(), 415, "unsupported_file_type"),
        (files.png_header_only(20000, 20000), 413, "image_too_large"),
        (b"", 422, "empty_file"),
    ],
    ids=["outside-whitelist", "polyglot", "huge-dimensions", "empty"],
)
async def test_refusals_leave_nothing_in_the_bucket(
    files_app: FilesApp,
    room: int,
    admin: Caller,
    session: AsyncSession,
    content: bytes,
    status: int,
    code: str,
) -> None:
    assert files_app.s3 is not None
    r = await files_app.upload(room, content, admin, filename="a.png", content_type="image/png")
    assert r.status_code == status and r.json()["code"] == code, r.text
    assert files_app.stored_files() == []
    assert await session.scalar(text("SELECT count(*) FROM file_upload")) == 0
