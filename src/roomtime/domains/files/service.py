"""Files (R-27): a resource's uploaded file, how it is served, and orphan cleanup (R-26).

An upload is streamed to a temp file, checked, moved into place under a random name, and
only then recorded: the row, the resource's link and the audit entry in one transaction.
A crash between the move and the commit leaves an unreferenced file, which
`cleanup_uploads` removes after the grace period; never a row without its file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio.to_thread
import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.contention import busy_on_contention
from roomtime.core.errors import DomainError
from roomtime.core.storage import FileSource, Storage, StorageUnavailable
from roomtime.domains.audit import service as audit
from roomtime.domains.files import repository
from roomtime.domains.files._cleanup import CleanupReport, cleanup_uploads
from roomtime.domains.files._content import TYPES, FileType, check_declared, detect, verify
from roomtime.domains.files._receive import (
    ReceivedFile,
    UploadLimits,
    check_declared_length,
    receive_upload,
)
from roomtime.domains.files.errors import (
    CONTENT_REFUSALS,
    EmptyFileError,
    StorageUnavailableError,
    UploadNotFoundError,
)
from roomtime.domains.files.models import FileUpload
from roomtime.domains.files.names import content_disposition, sanitize_filename, with_extension
from roomtime.domains.files.schemas import FileRead, file_url
from roomtime.domains.resources import files_link
from roomtime.domains.resources.errors import ResourceNotFoundError

__all__ = [
    "CleanupReport",
    "Download",
    "IncomingUpload",
    "UploadLimits",
    "UploadPolicy",
    "check_declared_length",
    "cleanup_uploads",
    "get_download",
    "to_read",
    "upload_resource_file",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class UploadPolicy:
    max_bytes: int
    allowed_types: frozenset[str]


@dataclass(frozen=True)
class IncomingUpload:
    """A request body as the service sees it: bytes as they arrive and their media type."""

    body: AsyncIterator[bytes]
    content_type: str | None


@dataclass(frozen=True)
class _Stored:
    key: str
    kind: FileType
    received: ReceivedFile


@dataclass(frozen=True)
class Download:
    source: FileSource
    mime: str
    etag: str
    content_disposition: str
    # False when only an admin may see it: then no shared cache may keep a copy.
    public: bool


def to_read(row: FileUpload) -> FileRead:
    return FileRead.model_validate(
        {
            **{c: getattr(row, c) for c in FileRead.model_fields if c != "url"},
            "url": file_url(row.id),
        }
    )


async def upload_resource_file(
    session: AsyncSession,
    storage: Storage,
    *,
    resource_id: int,
    upload: IncomingUpload,
    policy: UploadPolicy,
    actor_user_id: int,
    ip: str | None = None,
) -> FileUpload:
    """Store the uploaded file and make it the resource's file; the previous one is kept
    (unreferenced) until cleanup."""
    await files_link.get_for_file(session, resource_id, include_inactive=True)
    # Hand the pooled connection back while the body streams: a slow client must not hold it.
    await session.rollback()
    try:
        stored = await _receive_and_store(storage, upload, policy)
    except CONTENT_REFUSALS as exc:
        await _record_refusal(session, exc, resource_id, actor_user_id, ip)
        raise
    except StorageUnavailable as exc:
        raise _unavailable() from exc
    try:
        return await _record_upload(session, stored, resource_id, actor_user_id, ip)
    except DomainError:
        # Raised inside the transaction, so it surely rolled back: the file is nobody's.
        # After any other failure the commit may have happened; cleanup decides later.
        try:
            await storage.remove(stored.key)
        except StorageUnavailable:
            log.warning("upload_not_removed", key=stored.key)  # cleanup-uploads will
        raise


def _unavailable() -> StorageUnavailableError:
    return StorageUnavailableError("The file store did not answer; retry shortly")


async def _receive_and_store(
    storage: Storage, upload: IncomingUpload, policy: UploadPolicy
) -> _Stored:
    limits = UploadLimits(policy.max_bytes)
    received = await receive_upload(upload.body, upload.content_type, storage, limits)
    try:
        if received.size == 0:
            raise EmptyFileError("The file is empty")
        kind = detect(received.head, policy.allowed_types)
        check_declared(received.declared_type, kind)
        await anyio.to_thread.run_sync(verify, storage.temp_path(received.temp), kind)
        key = storage.new_key(kind.extension)
        await storage.store(received.temp, key)
    except BaseException:
        storage.discard(received.temp)  # no await: it must happen even when cancelled
        raise
    return _Stored(key=key, kind=kind, received=received)


async def _record_upload(
    session: AsyncSession, stored: _Stored, resource_id: int, actor_user_id: int, ip: str | None
) -> FileUpload:
    received = stored.received
    # A lock held by a stuck transaction becomes a quick 409 busy, not a hung request.
    with busy_on_contention("Resource busy, retry shortly"):
        async with tx.transactional(session):
            resource = await files_link.get_for_file(
                session, resource_id, include_inactive=True, for_update=True
            )
            previous = resource.file_id
            row = await repository.add(
                session,
                FileUpload(
                    owner_user_id=actor_user_id,
                    resource_id=resource_id,
                    path=stored.key,
                    original_name=sanitize_filename(received.filename),
                    size_bytes=received.size,
                    mime=stored.kind.mime,
                    sha256=received.sha256,
                ),
            )
            await files_link.attach_file(session, resource, row.id, file_url(row.id))
            meta = {"file_id": row.id, "mime": row.mime, "size_bytes": row.size_bytes}
            meta |= {"sha256": row.sha256, "replaced_file_id": previous}
            await audit.record(
                session,
                action="file.uploaded",
                entity="resource",
                entity_id=resource_id,
                actor_user_id=actor_user_id,
                meta=meta,
                ip=ip,
            )
    log.info("file_uploaded", resource_id=resource_id, file_id=row.id, mime=row.mime)
    return row


async def _record_refusal(
    session: AsyncSession, exc: Exception, resource_id: int, actor_user_id: int, ip: str | None
) -> None:
    code = getattr(exc, "code", "invalid")
    log.warning("upload_validation_failed", resource_id=resource_id, code=code, detail=str(exc))
    try:
        async with tx.transactional(session):
            await audit.record(
                session,
                action="file.rejected",
                entity="resource",
                entity_id=resource_id,
                actor_user_id=actor_user_id,
                meta={"code": code, **getattr(exc, "extra", {})},
                ip=ip,
            )
    except SQLAlchemyError:
        # The refusal itself is what the client must get; a lost audit row is only logged.
        log.exception("upload_refusal_not_audited", resource_id=resource_id)


async def get_download(
    session: AsyncSession, storage: Storage, file_id: int, *, viewer_is_admin: bool
) -> Download:
    """The file to serve. Anyone may fetch the current file of an active resource; any
    other file (replaced, orphaned, of a deactivated resource) only an admin."""
    row = await repository.get(session, file_id)
    if row is None:
        raise UploadNotFoundError()
    public = await _is_public(session, row)
    if not public and not viewer_is_admin:
        raise UploadNotFoundError()
    kind = TYPES.get(row.mime)
    disposition = kind.disposition if kind else "attachment"
    name = with_extension(row.original_name, kind.extension) if kind else row.original_name
    header = content_disposition(disposition, name)
    try:
        source = await storage.source(row.path, mime=row.mime, disposition=header)
    except StorageUnavailable as exc:
        raise _unavailable() from exc
    if source is None:
        log.error("upload_missing_in_storage", file_id=row.id, path=row.path)
        raise UploadNotFoundError()
    return Download(
        source=source,
        mime=row.mime,
        etag=f'"{row.sha256}"',
        content_disposition=header,
        public=public,
    )


async def _is_public(session: AsyncSession, row: FileUpload) -> bool:
    if row.resource_id is None:
        return False
    try:
        resource = await files_link.get_for_file(session, row.resource_id, include_inactive=False)
    except ResourceNotFoundError:
        return False
    return resource.file_id == row.id
