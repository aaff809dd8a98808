"""Hostile file names change nothing on disk and cannot inject download headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.files.conftest import FilesApp
from tests.factories import files
from tests.factories.auth import Caller

pytestmark = pytest.mark.api

STORED_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}\.png$")
HOSTILE = [
    b"../../etc/passwd",
    b"..\\..\\win.ini",
    b"/etc/cron.d/evil.png",
    b"x.php%00.png",
    b"a.jpg.php",
    b"a\x00b.png",
    b'a"\r\nX-Injected: 1.png',
    b"\xe2\x80\xaegnp.exe",  # right-to-left override
    b"." * 5,
    b"n" * 300 + b".png",
]


def _files_outside(root: Path, upload_dir: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_relative_to(upload_dir)]


@pytest.mark.parametrize("filename", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_names_are_stored_under_a_random_name_and_served_safely(
    files_app: FilesApp,
    room: int,
    admin: Caller,
    session: AsyncSession,
    tmp_path: Path,
    filename: bytes,
) -> None:
    r = await files_app.upload(
        room, files.png(), admin, filename=filename, content_type="image/png"
    )
    assert r.status_code == 201, r.text
    stored = files_app.stored_files()
    assert len(stored) == 1 and STORED_NAME.match(stored[0])
    assert _files_outside(tmp_path, files_app.upload_dir) == []

    original = r.json()["original_name"]
    assert 0 < len(original) <= 255
    assert not any(ch in original for ch in "/\\\x00\r\n\u202e")
    row_name = await session.scalar(text("SELECT original_name FROM file_upload"))
    assert row_name == original

    download = await files_app.client.get(r.json()["url"])
    assert download.status_code == 200
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('inline; filename="')
    assert "filename*=UTF-8''" in disposition
    assert not any(ch in disposition for ch in "\r\n\x00")
    assert "x-injected" not in download.headers
    assert disposition.isascii()


async def test_a_unicode_name_keeps_its_utf8_form_and_gets_an_ascii_fallback(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    name = "Зал №1 café.pdf"
    r = await files_app.upload(room, files.pdf(), admin, filename=name.encode())
    assert r.json()["original_name"] == name
    download = await files_app.client.get(r.json()["url"])
    assert download.headers["content-disposition"] == (
        'attachment; filename="No1 cafe.pdf"; '
        "filename*=UTF-8''%D0%97%D0%B0%D0%BB%20%E2%84%961%20caf%C3%A9.pdf"
    )


async def test_a_300_character_name_is_cut_to_255_keeping_the_extension(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    r = await files_app.upload(room, files.png(), admin, filename="n" * 300 + ".png")
    name = r.json()["original_name"]
    assert len(name) == 255 and name.endswith(".png")
