"""GET /files/{id}: stored type, safe headers, caching, and who may see what."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.files.conftest import FilesApp
from tests.factories import files
from tests.factories.auth import Caller

pytestmark = pytest.mark.api


async def _uploaded(
    files_app: FilesApp, room: int, admin: Caller, content: bytes, name: str
) -> dict:
    r = await files_app.upload(room, content, admin, filename=name)
    assert r.status_code == 201, r.text
    return r.json()


async def _deactivate(session: AsyncSession, room: int) -> None:
    await session.execute(
        text("UPDATE resource SET is_active = false WHERE id = :id"), {"id": room}
    )
    await session.commit()


async def test_an_image_is_served_inline_with_hardening_and_cache_headers(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    content = files.png()
    meta = await _uploaded(files_app, room, admin, content, "plan.png")
    r = await files_app.client.get(meta["url"])
    assert r.status_code == 200 and r.content == content
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-length"] == str(len(content))
    assert (
        r.headers["content-disposition"]
        == "inline; filename=\"plan.png\"; filename*=UTF-8''plan.png"
    )
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == "sandbox"
    assert r.headers["etag"] == f'"{hashlib.sha256(content).hexdigest()}"'
    assert r.headers["cache-control"] == "public, max-age=86400"


async def test_a_pdf_is_served_as_an_attachment(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    meta = await _uploaded(files_app, room, admin, files.pdf(), "terms.pdf")
    r = await files_app.client.get(meta["url"])
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith('attachment; filename="terms.pdf"')


@pytest.mark.parametrize("weak", [False, True])
async def test_if_none_match_with_the_etag_is_304(
    files_app: FilesApp, room: int, admin: Caller, weak: bool
) -> None:
    meta = await _uploaded(files_app, room, admin, files.png(), "a.png")
    etag = (await files_app.client.get(meta["url"])).headers["etag"]
    tag = f"W/{etag}" if weak else etag
    r = await files_app.client.get(meta["url"], headers={"If-None-Match": f'"other", {tag}'})
    assert r.status_code == 304 and r.content == b""
    assert r.headers["etag"] == etag and r.headers["cache-control"] == "public, max-age=86400"
    other = await files_app.client.get(meta["url"], headers={"If-None-Match": '"other"'})
    assert other.status_code == 200


async def test_users_and_anonymous_see_the_current_file_of_an_active_resource(
    files_app: FilesApp, room: int, admin: Caller, member: Caller
) -> None:
    meta = await _uploaded(files_app, room, admin, files.png(), "a.png")
    assert (await files_app.client.get(meta["url"])).status_code == 200
    assert (await files_app.client.get(meta["url"], headers=member.headers)).status_code == 200


async def test_a_deactivated_resources_file_is_404_except_for_admins(
    files_app: FilesApp, room: int, admin: Caller, member: Caller, session: AsyncSession
) -> None:
    meta = await _uploaded(files_app, room, admin, files.png(), "a.png")
    await _deactivate(session, room)
    for headers in ({}, member.headers):
        r = await files_app.client.get(meta["url"], headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "file_not_found"
    as_admin = await files_app.client.get(meta["url"], headers=admin.headers)
    assert as_admin.status_code == 200
    # Visible only to admins, so no shared cache may keep it.
    assert as_admin.headers["cache-control"] == "private, no-cache"


async def test_a_replaced_file_is_only_visible_to_admins(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    old = await _uploaded(files_app, room, admin, files.png(), "old.png")
    new = await _uploaded(files_app, room, admin, files.jpeg(), "new.jpg")
    assert (await files_app.client.get(old["url"])).status_code == 404
    assert (await files_app.client.get(old["url"], headers=admin.headers)).status_code == 200
    assert (await files_app.client.get(new["url"])).status_code == 200


async def test_unknown_and_invalid_ids(files_app: FilesApp, admin: Caller) -> None:
    missing = await files_app.client.get("/files/424242", headers=admin.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "file_not_found"
    assert (await files_app.client.get("/files/0")).status_code == 422
    assert (await files_app.client.get("/files/99999999999999999999")).status_code == 422


async def test_a_file_missing_on_disk_is_404_not_500(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    meta = await _uploaded(files_app, room, admin, files.png(), "a.png")
    (stored,) = files_app.stored_files()
    files_app.delete_stored(stored)
    r = await files_app.client.get(meta["url"], headers=admin.headers)
    assert r.status_code == 404 and r.json()["code"] == "file_not_found"


async def test_an_invalid_token_is_401_even_for_a_public_file(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    meta = await _uploaded(files_app, room, admin, files.png(), "a.png")
    r = await files_app.client.get(meta["url"], headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
