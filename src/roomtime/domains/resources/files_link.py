"""The link from a resource to its current file, as the files domain needs it (R-27).

The files domain never touches the resource table itself: it loads, locks and updates the
link through these functions.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.contention import set_lock_timeout
from roomtime.domains.resources.errors import ResourceNotFoundError
from roomtime.domains.resources.models import Resource


async def get_for_file(
    session: AsyncSession, resource_id: int, *, include_inactive: bool, for_update: bool = False
) -> Resource:
    """The resource, or ResourceNotFoundError. With `for_update` its row is locked until the
    transaction ends, so concurrent uploads change the link one after the other."""
    stmt = select(Resource).where(Resource.id == resource_id)
    if not include_inactive:
        # A hidden resource (an event's seats) is inactive only to keep it out of lists and
        # holds; its file (the event's image) is as public as the event.
        stmt = stmt.where(or_(Resource.is_active.is_(True), Resource.is_hidden.is_(True)))
    if for_update:
        # A lock held by a stuck transaction becomes a quick 409 busy, not a hung request.
        await set_lock_timeout(session)
        # NO KEY UPDATE: rows referencing the resource (FOR KEY SHARE) are not held up.
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    resource = (await session.execute(stmt)).scalar_one_or_none()
    if resource is None:
        raise ResourceNotFoundError()
    return resource


async def attach_file(session: AsyncSession, resource: Resource, file_id: int, url: str) -> None:
    """Point the resource at the file; the previous file's row stays until cleanup."""
    resource.file_id = file_id
    resource.file_path = url
    await session.flush()


def file_in_use(file_id: ColumnElement[int]) -> ColumnElement[bool]:
    """True where some resource currently points at the file `file_id`."""
    return exists().where(Resource.file_id == file_id)
