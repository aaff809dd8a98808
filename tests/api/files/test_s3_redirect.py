"""S3_SERVE=redirect: GET /files/{id} answers 307 to a presigned URL of the bucket, which
serves the bytes with the file's type and disposition; visibility and 304 still apply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.main import create_app
from roomtime.settings import Settings
from tests.api.files.conftest import MAX_BYTES, FilesApp, s3_file_settings
from tests.conftest import make_settings
from tests.factories import files, rows
from tests.factories.auth import Caller
from tests.services import ServiceUrls
from tests.support.s3 import S3Server

pytestmark = pytest.mark.api


@pytest.fixture
async def redirecting(
    services: ServiceUrls, tmp_path: Path, s3: S3Server, clean_db: None, redis: object
) -> AsyncIterator[FilesApp]:
    settings: Settings = make_settings(
        services,
        tmp_path,
        files=s3_file_settings(
            s3,
            tmp_path / "uploads",
            max_upload_bytes=MAX_BYTES,
            s3_serve="redirect",
            s3_presign_seconds=120,
        ),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield FilesApp(client, app, settings, settings.upload_dir, s3)


async def test_a_download_is_a_redirect_to_a_presigned_url(
    redirecting: FilesApp, session: AsyncSession, admin: Caller
) -> None:
    room = (await rows.resource(session)).id
    await session.commit()
    content = files.pdf()
    uploaded = await redirecting.upload(room, content, admin, filename="rules.pdf")
    assert uploaded.status_code == 201, uploaded.text
    meta = uploaded.json()

    r = await redirecting.client.get(meta["url"])
    assert r.status_code == 307
    assert r.headers["etag"] == f'"{meta["sha256"]}"'
    assert r.headers["cache-control"] == "no-store"  # the URL expires: never cache it
    location = r.headers["location"]
    assert location.startswith(f"{redirecting.s3.endpoint_url}/{redirecting.bucket}/")  # type: ignore[union-attr]
    async with httpx.AsyncClient() as plain:
        fetched = await plain.get(location)
    assert fetched.status_code == 200 and fetched.content == content
    assert fetched.headers["content-type"] == "application/pdf"
    assert fetched.headers["content-disposition"].startswith("attachment;")

    cached = await redirecting.client.get(meta["url"], headers={"If-None-Match": r.headers["etag"]})
    assert cached.status_code == 304

    redirecting.delete_stored(location.split("?")[0].split(f"/{redirecting.bucket}/", 1)[1])
    gone = await redirecting.client.get(meta["url"])
    assert gone.status_code == 404 and gone.json()["code"] == "file_not_found"
