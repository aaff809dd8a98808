"""Files in an S3 bucket (moto's server as a real process): large uploads go in parts,
serving streams or presigns, and cleanup-uploads removes orphans from the bucket too."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import s3storage
from roomtime.core.clock import FrozenClock
from roomtime.core.s3storage import S3Storage
from roomtime.core.storage import Redirect, StoragePathError, Stream
from roomtime.domains.files import tasks
from roomtime.domains.files.models import FileUpload
from roomtime.domains.jobs.context import job_context
from roomtime.infrastructure import open_storage
from roomtime.settings import Settings
from tests.api.files.conftest import s3_file_settings
from tests.factories import rows
from tests.support.s3 import S3Server

pytestmark = pytest.mark.integration


def _s3_settings(settings: Settings, s3: S3Server, tmp_path: Path, **files: object) -> Settings:
    return settings.model_copy(
        update={"files": s3_file_settings(s3, tmp_path / "uploads", **files)}
    )


@pytest.fixture
async def bucket_storage(
    settings: Settings, s3: S3Server, tmp_path: Path
) -> AsyncIterator[S3Storage]:
    async with open_storage(_s3_settings(settings, s3, tmp_path)) as storage:
        assert isinstance(storage, S3Storage)
        yield storage


async def _put_temp(storage: S3Storage, data: bytes) -> str:
    temp = await storage.create_temp()
    temp.handle.write(data)
    key = storage.new_key("bin")
    await storage.store(temp, key)
    assert not storage.temp_path(temp).exists()  # the spooled copy is gone once stored
    return key


async def test_a_file_larger_than_a_part_is_sent_as_a_multipart_upload(
    bucket_storage: S3Storage, s3: S3Server
) -> None:
    data = os.urandom(s3storage.PART_BYTES + 123_457)
    key = await _put_temp(bucket_storage, data)
    head = s3.client().head_object(Bucket=bucket_storage.bucket, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-2")  # two parts, completed as one object
    assert s3.read(bucket_storage.bucket, key) == data
    # Nothing of the upload is left pending in the bucket.
    pending = s3.client().list_multipart_uploads(Bucket=bucket_storage.bucket)
    assert pending.get("Uploads", []) == []


async def test_stream_source_relays_the_bytes_and_remove_reports_a_missing_key(
    bucket_storage: S3Storage,
) -> None:
    key = await _put_temp(bucket_storage, b"hello bucket")
    source = await bucket_storage.source(key, mime="image/png", disposition="inline")
    assert isinstance(source, Stream) and source.size == len(b"hello bucket")
    received = b"".join([chunk async for chunk in source.chunks])
    await source.close()
    assert received == b"hello bucket"
    assert [f.key for f in await bucket_storage.list_objects()] == [key]
    assert await bucket_storage.remove(key) is True
    assert await bucket_storage.remove(key) is False
    assert await bucket_storage.source(key, mime="image/png", disposition="inline") is None
    with pytest.raises(StoragePathError):
        await bucket_storage.remove("../etc/passwd")


async def test_redirect_source_is_a_presigned_url_with_the_files_headers(
    settings: Settings, s3: S3Server, tmp_path: Path
) -> None:
    # Clients reach the store under another name than the API does (as in compose).
    public = s3.endpoint_url.replace("127.0.0.1", "localhost")
    redirecting = _s3_settings(
        settings,
        s3,
        tmp_path,
        s3_serve="redirect",
        s3_presign_seconds=60,
        s3_public_endpoint_url=public,
    )
    async with open_storage(redirecting) as storage:
        assert isinstance(storage, S3Storage)
        key = await _put_temp(storage, b"%PDF-1.4 tiny")
        disposition = 'attachment; filename="a.pdf"'
        source = await storage.source(key, mime="application/pdf", disposition=disposition)
        assert isinstance(source, Redirect) and "Expires=" in source.url
        assert source.url.startswith(f"{public}/{storage.bucket}/{key}?")
        assert await storage.source("no/such.pdf", mime="application/pdf", disposition="") is None
    async with httpx.AsyncClient() as client:
        fetched = await client.get(source.url)
    assert fetched.status_code == 200 and fetched.content == b"%PDF-1.4 tiny"
    assert fetched.headers["content-type"] == "application/pdf"
    assert fetched.headers["content-disposition"] == disposition


async def test_the_cleanup_job_removes_orphans_from_the_bucket(
    session: AsyncSession, settings: Settings, s3: S3Server, tmp_path: Path
) -> None:
    job_settings = _s3_settings(settings, s3, tmp_path, upload_grace_seconds=3600)
    bucket = job_settings.files.s3_bucket
    assert bucket is not None
    client = s3.client()
    keys = {
        name: f"{n:02d}/{n:02d}{'0' * 29}{n}.png"
        for n, name in enumerate(("current", "replaced", "fresh_row", "orphan"), start=10)
    }
    for name, key in keys.items():
        client.put_object(Bucket=bucket, Key=key, Body=name.encode())
    # Objects carry the server's real time; the job runs two hours later, past the grace.
    now = datetime.now(UTC) + timedelta(hours=2)
    old, young = now - timedelta(hours=3), now - timedelta(minutes=10)
    spool = tmp_path / "uploads" / ".incoming"
    spool.mkdir(parents=True)
    stale_temp = spool / f"{'a' * 32}.part"
    stale_temp.write_bytes(b"partial")
    os.utime(stale_temp, (old.timestamp(), old.timestamp()))

    resource = await rows.resource(session)
    made = {}
    for name, created in (("current", old), ("replaced", old), ("fresh_row", young)):
        made[name] = FileUpload(
            path=keys[name],
            original_name="a.png",
            size_bytes=len(name),
            mime="image/png",
            sha256="0" * 64,
            created_at=created,
        )
        session.add(made[name])
    await session.flush()
    resource.file_id, resource.file_path = made["current"].id, f"/files/{made['current'].id}"
    await session.commit()

    async with job_context(job_settings, FrozenClock(now)) as ctx:
        result = await tasks.cleanup_uploads_job(ctx)

    assert (result["orphan_rows_removed"], result["orphan_files_removed"]) == (1, 2)
    assert set(result["removed"]) == {
        keys["replaced"],
        keys["orphan"],
        f".incoming/{stale_temp.name}",
    }
    assert s3.keys(bucket) == sorted([keys["current"], keys["fresh_row"]])
    assert not stale_temp.exists()
    paths = set((await session.execute(text("SELECT path FROM file_upload"))).scalars())
    assert paths == {keys["current"], keys["fresh_row"]}
