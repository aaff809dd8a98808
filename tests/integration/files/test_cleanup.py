"""cleanup-uploads (R-26) on real files: orphans older than the grace period go, the rest stay."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.core.storage import LocalStorage
from roomtime.domains.files import service, tasks
from roomtime.domains.files.models import FileUpload
from roomtime.domains.jobs.context import job_context
from roomtime.settings import FileSettings, Settings
from tests.factories import rows

pytestmark = pytest.mark.integration

NOW = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
GRACE = timedelta(hours=1)
OLD = NOW - timedelta(hours=3)
YOUNG = NOW - timedelta(minutes=10)


def _put(root: Path, key: str, modified: datetime, size: int = 100) -> str:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (modified.timestamp(), modified.timestamp()))
    return key


async def _row(session: AsyncSession, key: str, created: datetime, size: int = 100) -> FileUpload:
    row = FileUpload(
        path=key,
        original_name="a.png",
        size_bytes=size,
        mime="image/png",
        sha256="0" * 64,
        created_at=created,
    )
    session.add(row)
    await session.flush()
    return row


def _on_disk(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


async def _keys(session: AsyncSession) -> set[str]:
    return set((await session.execute(text("SELECT path FROM file_upload"))).scalars())


async def _scenario(session: AsyncSession, root: Path) -> dict[str, str]:
    keys = {
        "current": _put(root, "aa/aa000000000000000000000000000001.png", OLD),
        "replaced": _put(root, "bb/bb000000000000000000000000000002.png", OLD, size=250),
        "fresh_row": _put(root, "cc/cc000000000000000000000000000003.png", YOUNG),
        "old_orphan": _put(root, "dd/dd000000000000000000000000000004.png", OLD, size=40),
        "young_orphan": _put(root, "ee/ee000000000000000000000000000005.png", YOUNG),
        "stale_temp": _put(root, ".incoming/0123456789abcdef0123456789abcdef.part", OLD, size=7),
        "live_temp": _put(root, ".incoming/fedcba9876543210fedcba9876543210.part", YOUNG),
    }
    resource = await rows.resource(session)
    current = await _row(session, keys["current"], OLD)
    await _row(session, keys["replaced"], OLD, size=250)  # unreferenced, old
    await _row(session, keys["fresh_row"], YOUNG)  # unreferenced, but an upload in flight
    await _row(session, "ff/ff000000000000000000000000000006.png", OLD)  # row whose file is gone
    resource.file_id, resource.file_path = current.id, f"/files/{current.id}"
    await session.commit()
    return keys


async def test_removes_old_orphans_and_keeps_everything_else(
    session: AsyncSession, tmp_path: Path
) -> None:
    root = tmp_path / "uploads"
    keys = await _scenario(session, root)
    report = await service.cleanup_uploads(session, LocalStorage(root), now=NOW, grace=GRACE)

    assert report.orphan_rows_removed == 2  # the replaced one and the one whose file was gone
    assert report.orphan_files_removed == 2  # the old orphan and the stale temp file
    assert report.bytes_freed == 250 + 40 + 7
    assert set(report.removed) == {keys["replaced"], keys["old_orphan"], keys["stale_temp"]}
    assert _on_disk(root) == {
        keys["current"],
        keys["fresh_row"],
        keys["young_orphan"],
        keys["live_temp"],
    }
    assert await _keys(session) == {keys["current"], keys["fresh_row"]}

    again = await service.cleanup_uploads(session, LocalStorage(root), now=NOW, grace=GRACE)
    assert (again.orphan_rows_removed, again.orphan_files_removed, again.bytes_freed) == (0, 0, 0)


async def test_a_longer_grace_period_spares_everything(
    session: AsyncSession, tmp_path: Path
) -> None:
    root = tmp_path / "uploads"
    await _scenario(session, root)
    before = _on_disk(root)
    report = await service.cleanup_uploads(
        session, LocalStorage(root), now=NOW, grace=timedelta(days=1)
    )
    assert report.as_dict() == {
        "orphan_rows_removed": 0,
        "orphan_files_removed": 0,
        "bytes_freed": 0,
        "removed": [],
    }
    assert _on_disk(root) == before


async def test_symlinks_and_an_empty_or_missing_root_are_left_alone(
    session: AsyncSession, tmp_path: Path
) -> None:
    outside = _put(tmp_path, "outside.txt", OLD)
    root = tmp_path / "uploads"
    root.mkdir()
    (root / "link.png").symlink_to(tmp_path / outside)
    report = await service.cleanup_uploads(session, LocalStorage(root), now=NOW, grace=GRACE)
    assert report.orphan_files_removed == 0 and (tmp_path / outside).exists()
    missing = await service.cleanup_uploads(
        session, LocalStorage(tmp_path / "nope"), now=NOW, grace=GRACE
    )
    assert missing.orphan_files_removed == 0


async def test_the_job_entry_point_reads_its_context(
    session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "uploads"
    keys = await _scenario(session, root)
    job_settings = settings.model_copy(
        update={"files": FileSettings(upload_dir=root, upload_grace_seconds=3600)}
    )
    # The context the worker and `roomtime job run` build.
    async with job_context(job_settings, FrozenClock(NOW)) as ctx:
        result = await tasks.cleanup_uploads_job(ctx)
    assert result["orphan_rows_removed"] == 2 and result["orphan_files_removed"] == 2
    assert keys["old_orphan"] in result["removed"]
