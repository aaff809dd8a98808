"""A bucket that does not answer (server down) or refuses (no such bucket) is 503
`storage_unavailable` for an upload and a download, never a 500, and an upload leaves
nothing behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.main import create_app
from roomtime.settings import Settings
from tests.api.files.conftest import MAX_BYTES, FilesApp, s3_file_settings
from tests.conftest import make_settings
from tests.factories import files, rows
from tests.factories.auth import Caller
from tests.services import ServiceUrls
from tests.support.processes import closed_port
from tests.support.s3 import S3Server

pytestmark = pytest.mark.api


@asynccontextmanager
async def _app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def _settings(services: ServiceUrls, tmp_path: Path, s3: S3Server, **files: object) -> Settings:
    return make_settings(
        services,
        tmp_path,
        files=s3_file_settings(s3, tmp_path / "uploads", max_upload_bytes=MAX_BYTES, **files),
    )


@pytest.mark.parametrize("failure", ["server_down", "no_such_bucket"])
async def test_an_upload_to_an_unusable_bucket_is_503_and_keeps_nothing(
    failure: str,
    services: ServiceUrls,
    tmp_path: Path,
    s3: S3Server,
    session: AsyncSession,
    admin: Caller,
    redis: object,
) -> None:
    broken = (
        {"s3_endpoint_url": f"http://127.0.0.1:{closed_port()}"}
        if failure == "server_down"
        else {"s3_bucket": "rt-never-created"}
    )
    settings = _settings(services, tmp_path, s3, **broken)
    room = (await rows.resource(session)).id
    await session.commit()
    body, headers = files.multipart(files.png(), filename="a.png", content_type="image/png")
    async with _app(settings) as client:
        r = await client.post(
            f"/resources/{room}/file", content=body, headers=headers | admin.headers
        )
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "storage_unavailable"
    assert [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()] == []
    assert (await session.execute(text("SELECT count(*) FROM file_upload"))).scalar() == 0


async def test_a_download_from_an_unusable_bucket_is_503(
    services: ServiceUrls,
    tmp_path: Path,
    s3: S3Server,
    session: AsyncSession,
    admin: Caller,
    redis: object,
) -> None:
    good = _settings(services, tmp_path, s3)
    room = (await rows.resource(session)).id
    await session.commit()
    async with _app(good) as client:
        uploaded = await FilesApp(client, None, good, good.upload_dir, s3).upload(  # type: ignore[arg-type]
            room, files.png(), admin, filename="a.png", content_type="image/png"
        )
    assert uploaded.status_code == 201, uploaded.text
    gone = _settings(services, tmp_path, s3, s3_bucket="rt-never-created")
    async with _app(gone) as client:
        r = await client.get(uploaded.json()["url"])
    assert r.status_code == 503 and r.json()["code"] == "storage_unavailable"
