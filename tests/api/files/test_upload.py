"""POST /resources/{id}/file: who may upload, what is stored and recorded (R-27)."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.files.conftest import FilesApp
from tests.factories import files
from tests.factories.auth import Caller

pytestmark = pytest.mark.api

STORED_NAME = re.compile(r"^([0-9a-f]{2})/\1[0-9a-f]{30}\.(png|jpg|webp|pdf)$")


async def _row(session: AsyncSession, file_id: int) -> dict[str, object]:
    result = await session.execute(
        text("SELECT * FROM file_upload WHERE id = :id"), {"id": file_id}
    )
    return dict(result.mappings().one())


async def _resource_link(session: AsyncSession, resource_id: int) -> tuple[int | None, str | None]:
    result = await session.execute(
        text("SELECT file_id, file_path FROM resource WHERE id = :id"), {"id": resource_id}
    )
    file_id, file_path = result.one()
    return file_id, file_path


@pytest.mark.parametrize(
    ("content", "mime", "ext"),
    [
        (files.png(), "image/png", "png"),
        (files.jpeg(), "image/jpeg", "jpg"),
        (files.webp(), "image/webp", "webp"),
        (files.pdf(), "application/pdf", "pdf"),
    ],
    ids=["png", "jpeg", "webp", "pdf"],
)
async def test_admin_upload_is_stored_recorded_and_linked(
    files_app: FilesApp,
    room: int,
    admin: Caller,
    session: AsyncSession,
    content: bytes,
    mime: str,
    ext: str,
) -> None:
    r = await files_app.upload(room, content, admin, filename=f"Room plan.{ext}", content_type=mime)
    assert r.status_code == 201, r.text
    body = r.json()
    sha = hashlib.sha256(content).hexdigest()
    assert body["url"] == f"/files/{body['id']}" == r.headers["location"]
    assert (body["size_bytes"], body["mime"], body["sha256"]) == (len(content), mime, sha)
    assert body["original_name"] == f"Room plan.{ext}"

    row = await _row(session, body["id"])
    assert row["owner_user_id"] == admin.user.id and row["resource_id"] == room
    assert (row["mime"], row["size_bytes"], row["sha256"]) == (mime, len(content), sha)
    assert STORED_NAME.match(str(row["path"])) and str(row["path"]).endswith(f".{ext}")
    assert files_app.stored_files() == [row["path"]]
    assert files_app.read_stored(str(row["path"])) == content
    assert await _resource_link(session, room) == (body["id"], f"/files/{body['id']}")

    audit = await session.execute(
        text("SELECT action, entity, entity_id, actor_user_id, meta FROM audit_log")
    )
    (action, entity, entity_id, actor, meta), *_ = audit.all()
    assert (action, entity, entity_id, actor) == (
        "file.uploaded",
        "resource",
        str(room),
        admin.user.id,
    )
    assert meta["file_id"] == body["id"] and meta["mime"] == mime
    assert meta["size_bytes"] == len(content) and meta["replaced_file_id"] is None


async def test_users_get_403_and_anonymous_401_and_nothing_is_stored(
    files_app: FilesApp, room: int, member: Caller, session: AsyncSession
) -> None:
    forbidden = await files_app.upload(room, files.png(), member, filename="a.png")
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == "application/problem+json"
    anonymous = await files_app.upload(room, files.png(), None, filename="a.png")
    assert anonymous.status_code == 401
    assert files_app.stored_files() == []
    assert await session.scalar(text("SELECT count(*) FROM file_upload")) == 0


async def test_unknown_resource_is_404_before_reading(files_app: FilesApp, admin: Caller) -> None:
    r = await files_app.upload(987654, files.png(), admin, filename="a.png")
    assert r.status_code == 404 and r.json()["code"] == "resource_not_found"
    assert files_app.stored_files() == []


async def test_admin_may_upload_to_a_deactivated_resource(
    files_app: FilesApp, room: int, admin: Caller, session: AsyncSession
) -> None:
    await session.execute(
        text("UPDATE resource SET is_active = false WHERE id = :id"), {"id": room}
    )
    await session.commit()
    r = await files_app.upload(room, files.png(), admin, filename="a.png")
    assert r.status_code == 201


async def test_replacing_keeps_the_old_row_and_file_until_cleanup(
    files_app: FilesApp, room: int, admin: Caller, session: AsyncSession
) -> None:
    first = (await files_app.upload(room, files.png(), admin, filename="a.png")).json()
    second = (await files_app.upload(room, files.jpeg(), admin, filename="b.jpg")).json()
    assert await _resource_link(session, room) == (second["id"], f"/files/{second['id']}")
    assert await session.scalar(text("SELECT count(*) FROM file_upload")) == 2
    assert len(files_app.stored_files()) == 2
    meta = await session.scalar(
        text("SELECT meta FROM audit_log WHERE action = 'file.uploaded' ORDER BY id DESC LIMIT 1")
    )
    assert meta["replaced_file_id"] == first["id"]


async def test_audit_never_holds_file_contents(
    files_app: FilesApp, room: int, admin: Caller, session: AsyncSession
) -> None:
    marker = b"%PDF-secret-marker"
    content = files.pdf().replace(b"%PDF-1.4\n", b"%PDF-1.4\n%" + marker[1:] + b"\n", 1)
    # Offsets shift, but the structural check only needs the header and the final %%EOF.
    assert (await files_app.upload(room, content, admin, filename="a.pdf")).status_code == 201
    dump = await session.scalar(text("SELECT string_agg(meta::text, ' ') FROM audit_log"))
    assert "secret-marker" not in (dump or "")
