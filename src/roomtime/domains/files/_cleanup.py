"""The `cleanup-uploads` job (R-26): remove what no resource uses any more.

Two kinds of orphan, both only when older than the grace period, so an upload in flight
(temp file still growing, or promoted but not yet committed) is never touched:
- rows no resource points at (a replaced file, the loser of two concurrent uploads, the
  file of a deleted resource): the row goes, then its file;
- files on disk no row names (an upload that crashed before its commit, a stale temp file).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.storage import Storage, StoragePathError
from roomtime.domains.files import repository
from roomtime.domains.files.models import FileUpload
from roomtime.domains.resources import files_link

log = structlog.get_logger(__name__)
_BATCH = 500


@dataclass
class CleanupReport:
    orphan_rows_removed: int = 0
    orphan_files_removed: int = 0
    bytes_freed: int = 0
    removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def cleanup_uploads(
    session: AsyncSession, storage: Storage, *, now: datetime, grace: timedelta
) -> CleanupReport:
    """Remove orphan rows (with their files) and orphan files older than `now - grace`."""
    cutoff = now - grace
    report = CleanupReport()
    async with tx.transactional(session):
        rows = await repository.delete_unreferenced(
            session, created_before=cutoff, in_use=files_link.file_in_use(FileUpload.id)
        )
    # Files go only after the rows are committed; a crash in between leaves unreferenced
    # files, which the next pass below (or the next run) collects.
    report.orphan_rows_removed = len(rows)
    for _file_id, key, size in rows:
        await _remove(storage, key, size, report)
    await _remove_orphan_files(session, storage, cutoff, report)
    log.info(
        "cleanup_uploads",
        orphan_rows_removed=report.orphan_rows_removed,
        orphan_files_removed=report.orphan_files_removed,
        bytes_freed=report.bytes_freed,
        removed=report.removed,
    )
    return report


async def _remove_orphan_files(
    session: AsyncSession, storage: Storage, cutoff: datetime, report: CleanupReport
) -> None:
    files = await storage.list_objects()
    old = [f for f in files if f.modified_at < cutoff]
    for start in range(0, len(old), _BATCH):
        batch = old[start : start + _BATCH]
        referenced = await repository.existing_paths(session, [f.key for f in batch])
        for stored in batch:
            if stored.key not in referenced and await _remove(
                storage, stored.key, stored.size, report
            ):
                report.orphan_files_removed += 1
    await session.rollback()  # end the read-only transaction the lookups began


async def _remove(storage: Storage, key: str, size: int, report: CleanupReport) -> bool:
    try:
        if not await storage.remove(key):
            return False
    except StoragePathError:
        # Keys are server-generated; one pointing outside the root is corrupt data to
        # report, never a file to delete.
        log.error("cleanup_refused_key", key=key)
        return False
    report.bytes_freed += size
    report.removed.append(key)
    return True
