"""Two uploads to one resource at once: both stored, one linked, the other collected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.files import service
from tests.api.files.conftest import FilesApp
from tests.factories import files
from tests.factories.auth import Caller

pytestmark = pytest.mark.api


async def test_a_concurrent_pair_both_succeed_and_the_loser_is_cleaned_up(
    files_app: FilesApp, room: int, admin: Caller, session: AsyncSession
) -> None:
    first, second = await asyncio.gather(
        files_app.upload(room, files.png(), admin, filename="a.png"),
        files_app.upload(room, files.jpeg(), admin, filename="b.jpg"),
    )
    assert (first.status_code, second.status_code) == (201, 201)
    ids = {first.json()["id"], second.json()["id"]}
    linked, path = (
        await session.execute(
            text("SELECT file_id, file_path FROM resource WHERE id = :id"), {"id": room}
        )
    ).one()
    assert linked in ids and path == f"/files/{linked}"
    assert set((await session.execute(text("SELECT id FROM file_upload"))).scalars()) == ids
    assert len(files_app.stored_files()) == 2
    # The resource row lock serialized them: the second saw the first as the file it replaced.
    audit = await session.execute(
        text("SELECT (meta->>'file_id')::int, (meta->>'replaced_file_id')::int FROM audit_log")
    )
    replaced = dict(audit.all())
    loser = (ids - {linked}).pop()
    assert replaced == {loser: None, linked: loser}
    await session.rollback()

    report = await service.cleanup_uploads(
        session,
        files_app.app.state.infra.storage,
        now=datetime.now(UTC) + timedelta(hours=2),
        grace=timedelta(hours=1),
    )
    assert (report.orphan_rows_removed, report.orphan_files_removed) == (1, 0)
    remaining = set((await session.execute(text("SELECT id FROM file_upload"))).scalars())
    assert remaining == {linked}
    assert len(files_app.stored_files()) == 1
    assert (await files_app.client.get(f"/files/{linked}")).status_code == 200
