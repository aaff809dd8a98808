"""The upload service on its own: failures after the body arrived leave nothing behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from roomtime.core.storage import LocalStorage
from roomtime.domains.files import service
from roomtime.domains.resources.errors import ResourceNotFoundError
from tests.factories import files, rows

pytestmark = pytest.mark.integration

POLICY = service.UploadPolicy(max_bytes=64 * 1024, allowed_types=frozenset({"image/png"}))


class ClientGoneError(Exception):
    pass


def _on_disk(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def _actor_and_room(session: AsyncSession) -> tuple[int, int]:
    user = await rows.user(session, role="admin")
    room = await rows.resource(session)
    await session.commit()
    return user.id, room.id


async def test_a_resource_gone_before_the_commit_leaves_no_file(
    session: AsyncSession, engine: AsyncEngine, tmp_path: Path
) -> None:
    actor, room = await _actor_and_room(session)
    body, headers = files.multipart(files.png(), filename="a.png")

    async def chunks() -> AsyncIterator[bytes]:
        yield body
        async with engine.begin() as conn:  # another client removes the resource meanwhile
            await conn.execute(text("DELETE FROM resource WHERE id = :id"), {"id": room})

    with pytest.raises(ResourceNotFoundError):
        await service.upload_resource_file(
            session,
            LocalStorage(tmp_path),
            resource_id=room,
            upload=service.IncomingUpload(chunks(), headers["Content-Type"]),
            policy=POLICY,
            actor_user_id=actor,
        )
    assert _on_disk(tmp_path) == []
    assert await session.scalar(text("SELECT count(*) FROM file_upload")) == 0


async def test_a_client_that_disappears_mid_body_leaves_no_temp_file(
    session: AsyncSession, tmp_path: Path
) -> None:
    actor, room = await _actor_and_room(session)
    body, headers = files.multipart(files.png(), filename="a.png")

    async def chunks() -> AsyncIterator[bytes]:
        yield body[:100]
        raise ClientGoneError

    with pytest.raises(ClientGoneError):
        await service.upload_resource_file(
            session,
            LocalStorage(tmp_path),
            resource_id=room,
            upload=service.IncomingUpload(chunks(), headers["Content-Type"]),
            policy=POLICY,
            actor_user_id=actor,
        )
    assert _on_disk(tmp_path) == []
