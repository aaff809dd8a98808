"""An app with a small upload limit and an upload directory of its own per test; every
files test runs twice, with files on local disk and in an S3 bucket (moto's server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.main import create_app
from roomtime.settings import FileSettings, Settings
from tests.conftest import make_settings
from tests.factories import files, rows
from tests.factories.auth import Caller
from tests.services import ServiceUrls
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server

MAX_BYTES = 64 * 1024


@dataclass
class FilesApp:
    client: httpx.AsyncClient
    app: FastAPI
    settings: Settings
    upload_dir: Path
    s3: S3Server | None = None

    async def upload(
        self,
        resource_id: int,
        content: bytes,
        caller: Caller | None,
        **part: object,
    ) -> httpx.Response:
        body, headers = files.multipart(content, **part)  # type: ignore[arg-type]
        if caller is not None:
            headers |= caller.headers
        return await self.client.post(
            f"/resources/{resource_id}/file", content=body, headers=headers
        )

    @property
    def bucket(self) -> str:
        assert self.settings.files.s3_bucket is not None
        return self.settings.files.s3_bucket

    def stored_files(self) -> list[str]:
        """Every stored file as its key, temp files (always on local disk) included."""
        local = (
            [p.relative_to(self.upload_dir).as_posix() for p in self.upload_dir.rglob("*")]
            if self.upload_dir.exists()
            else []
        )
        local = [key for key in local if (self.upload_dir / key).is_file()]
        remote = self.s3.keys(self.bucket) if self.s3 else []
        return sorted(local + remote)

    def read_stored(self, key: str) -> bytes:
        if self.s3:
            return self.s3.read(self.bucket, key)
        return (self.upload_dir / key).read_bytes()

    def delete_stored(self, key: str) -> None:
        if self.s3:
            self.s3.delete(self.bucket, key)
        else:
            (self.upload_dir / key).unlink()


def s3_file_settings(s3: S3Server, upload_dir: Path, **overrides: object) -> FileSettings:
    """Files in a new bucket of the test S3 server (unless `overrides` name another)."""
    values: dict[str, object] = {
        "upload_dir": upload_dir,
        "storage": "s3",
        "s3_endpoint_url": s3.endpoint_url,
        "s3_region": REGION,
        "s3_access_key_id": ACCESS_KEY,
        "s3_secret_access_key": SECRET_KEY,
        **overrides,
    }
    if "s3_bucket" not in values:
        values["s3_bucket"] = s3.new_bucket()
    return FileSettings(**values)  # type: ignore[arg-type]


@pytest.fixture(params=["local", "s3"])
def storage_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def files_settings(
    services: ServiceUrls, tmp_path: Path, storage_kind: str, request: pytest.FixtureRequest
) -> Settings:
    upload_dir = tmp_path / "uploads"
    if storage_kind == "s3":
        s3: S3Server = request.getfixturevalue("s3")
        files = s3_file_settings(s3, upload_dir, max_upload_bytes=MAX_BYTES)
    else:
        files = FileSettings(upload_dir=upload_dir, max_upload_bytes=MAX_BYTES)
    return make_settings(services, tmp_path, files=files)


@pytest.fixture
async def files_app(
    files_settings: Settings, clean_db: None, redis: object, request: pytest.FixtureRequest
) -> AsyncIterator[FilesApp]:
    s3 = request.getfixturevalue("s3") if files_settings.files.storage == "s3" else None
    app = create_app(files_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield FilesApp(client, app, files_settings, files_settings.upload_dir, s3)


@pytest.fixture
async def room(session: AsyncSession, files_app: FilesApp) -> int:
    """An active resource, committed; its id."""
    row = await rows.resource(session)
    await session.commit()
    return row.id
