"""SQL for file metadata rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.files.models import FileUpload


async def add(session: AsyncSession, row: FileUpload) -> FileUpload:
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, file_id: int) -> FileUpload | None:
    return await session.get(FileUpload, file_id)


async def delete_unreferenced(
    session: AsyncSession, *, created_before: datetime, in_use: ColumnElement[bool]
) -> Sequence[Row[tuple[int, str, int]]]:
    """Delete rows older than `created_before` that `in_use` says nobody points at.

    One statement, so a row is judged unreferenced and deleted atomically.
    """
    stmt = (
        delete(FileUpload)
        .where(FileUpload.created_at < created_before, ~in_use)
        .returning(FileUpload.id, FileUpload.path, FileUpload.size_bytes)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).all()


async def existing_paths(session: AsyncSession, paths: Sequence[str]) -> set[str]:
    """Which of `paths` some row refers to."""
    if not paths:
        return set()
    stmt = select(FileUpload.path).where(FileUpload.path.in_(paths))
    return set((await session.execute(stmt)).scalars())
