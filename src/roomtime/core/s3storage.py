"""Files in an S3-compatible bucket (AWS S3, MinIO, …) through aiobotocore.

Uploads are spooled to a local temp file first (their size and content are checked there,
as on disk), then sent to the bucket in parts of PART_BYTES, so memory stays bounded
whatever the file's size. Serving either relays the object's bytes (`S3_SERVE=stream`,
keeping every hardening header of a disk-served file) or answers a 307 to a presigned URL
that expires after S3_PRESIGN_SECONDS (`S3_SERVE=redirect`, the bytes never pass through
the API).

Spooled temp files still live on local disk under `.incoming/`; `list_objects` reports
them beside the bucket's keys and `remove` deletes them there, so the cleanup job collects
an abandoned one the same way on both backends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Literal

import anyio.to_thread
import structlog
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from roomtime.core.storage import (
    INCOMING,
    FileSource,
    LocalStorage,
    Redirect,
    StorageUnavailable,
    StoredFile,
    Stream,
    TempFile,
    check_key,
    random_key,
)

log = structlog.get_logger(__name__)

# S3 refuses parts under 5 MiB (but the last); 8 MiB is what the AWS CLI sends.
PART_BYTES = 8 * 1024 * 1024
STREAM_CHUNK_BYTES = 64 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}

ServeMode = Literal["stream", "redirect"]


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING


@contextmanager
def _answering(operation: str) -> Iterator[None]:
    """The store's own failures (unreachable, refusing) as StorageUnavailable; a missing key
    is not one of them and is handled where it is expected."""
    try:
        yield
    except ClientError as exc:
        if _missing(exc):
            raise
        log.warning("s3_failed", operation=operation, error=str(exc))
        raise StorageUnavailable(operation) from exc
    except (BotoCoreError, OSError) as exc:
        log.warning("s3_unreachable", operation=operation, error=str(exc))
        raise StorageUnavailable(operation) from exc


def _read(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(size)


class S3Storage:
    def __init__(
        self,
        client: Any,
        bucket: str,
        spool: LocalStorage,
        *,
        serve: ServeMode = "stream",
        presign_seconds: int = 300,
        presigner: Any = None,
    ) -> None:
        self.client = client
        # Signing is local; a URL is signed for the host in it, so a client made for the
        # public endpoint signs what browsers will fetch.
        self.presigner = presigner or client
        self.bucket = bucket
        self.spool = spool
        self.serve = serve
        self.presign_seconds = presign_seconds

    async def create_temp(self) -> TempFile:
        return await self.spool.create_temp()

    def temp_path(self, temp: TempFile) -> Path:
        return self.spool.path_for(temp.key)

    def discard(self, temp: TempFile) -> None:
        self.spool.discard(temp)

    def new_key(self, extension: str) -> str:
        return random_key(extension)

    async def store(self, temp: TempFile, key: str) -> None:
        """Send the finished temp file to the bucket under `key`, then drop the temp file.

        The object appears only when complete (a single PUT, or a multipart upload's
        completion), so no reader ever sees part of it.
        """
        check_key(key)
        await anyio.to_thread.run_sync(temp.handle.close)
        path = self.temp_path(temp)
        size = (await anyio.to_thread.run_sync(path.stat)).st_size
        with _answering("store"):
            if size <= PART_BYTES:
                body = await anyio.to_thread.run_sync(path.read_bytes)
                await self.client.put_object(Bucket=self.bucket, Key=key, Body=body)
            else:
                await self._multipart(path, size, key)
        self.spool.discard(temp)

    async def _multipart(self, path: Path, size: int, key: str) -> None:
        upload = await self.client.create_multipart_upload(Bucket=self.bucket, Key=key)
        upload_id = upload["UploadId"]
        parts = []
        try:
            for number, offset in enumerate(range(0, size, PART_BYTES), start=1):
                chunk = await anyio.to_thread.run_sync(_read, path, offset, PART_BYTES)
                sent = await self.client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk
                )
                parts.append({"PartNumber": number, "ETag": sent["ETag"]})
            await self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            # Parts of an unfinished upload are billed until aborted.
            try:
                await self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id
                )
            except (ClientError, BotoCoreError, OSError):
                log.exception("s3_abort_failed", key=key)
            raise

    async def remove(self, key: str) -> bool:
        """Delete the object at `key`; False when there was none."""
        if key.startswith(f"{INCOMING}/"):
            return await self.spool.remove(key)
        check_key(key)
        # DeleteObject succeeds whether or not the key exists; HEAD tells which it was.
        with _answering("remove"):
            try:
                await self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _missing(exc):
                    return False
                raise
            await self.client.delete_object(Bucket=self.bucket, Key=key)
        return True

    async def list_objects(self) -> list[StoredFile]:
        """Every object of the bucket, plus the spooled temp files on local disk."""
        found = await self.spool.list_objects()
        paginator = self.client.get_paginator("list_objects_v2")
        with _answering("list"):
            async for page in paginator.paginate(Bucket=self.bucket):
                found.extend(
                    StoredFile(key=item["Key"], size=item["Size"], modified_at=item["LastModified"])
                    for item in page.get("Contents", [])
                )
        return found

    async def source(self, key: str, *, mime: str, disposition: str) -> FileSource | None:
        check_key(key)
        if self.serve == "redirect":
            return await self._presigned(key, mime, disposition)
        try:
            with _answering("get"):
                response = await self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:  # only a missing key gets here
            if _missing(exc):
                return None
            raise
        body = response["Body"]

        async def close() -> None:
            body.close()

        return Stream(
            chunks=body.iter_chunks(STREAM_CHUNK_BYTES),
            size=int(response["ContentLength"]),
            close=close,
        )

    async def _presigned(self, key: str, mime: str, disposition: str) -> FileSource | None:
        try:
            with _answering("head"):
                await self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:  # only a missing key gets here
            if _missing(exc):
                return None
            raise
        # The bucket answers with the same type and disposition the API would have sent.
        url = await self.presigner.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentType": mime,
                "ResponseContentDisposition": disposition,
            },
            ExpiresIn=self.presign_seconds,
        )
        return Redirect(url=str(url))


@asynccontextmanager
async def open_s3_client(
    *,
    endpoint_url: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
    path_style: bool,
) -> AsyncIterator[Any]:
    """One client (and its connection pool) for the whole process."""
    config = AioConfig(
        s3={"addressing_style": "path" if path_style else "auto"},
        signature_version="s3v4",
        retries={"max_attempts": 3, "mode": "standard"},
        # A store that does not answer must fail a request, not hang it.
        connect_timeout=5,
        read_timeout=30,
    )
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            get_session().create_client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=config,
            )
        )
        yield client
