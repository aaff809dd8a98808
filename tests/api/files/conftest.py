"""An app with a small upload limit and an upload directory of its own per test."""

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

MAX_BYTES = 64 * 1024


@dataclass
class FilesApp:
    client: httpx.AsyncClient
    app: FastAPI
    settings: Settings
    upload_dir: Path

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

    def stored_files(self) -> list[str]:
        """Every file under the upload directory, temp files included, as relative paths."""
        if not self.upload_dir.exists():
            return []
        return sorted(
            p.relative_to(self.upload_dir).as_posix()
            for p in self.upload_dir.rglob("*")
            if p.is_file()
        )


@pytest.fixture
def files_settings(services: ServiceUrls, tmp_path: Path) -> Settings:
    return make_settings(
        services,
        tmp_path,
        files=FileSettings(upload_dir=tmp_path / "uploads", max_upload_bytes=MAX_BYTES),
    )


@pytest.fixture
async def files_app(
    files_settings: Settings, clean_db: None, redis: object
) -> AsyncIterator[FilesApp]:
    app = create_app(files_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield FilesApp(client, app, files_settings, files_settings.upload_dir)


@pytest.fixture
async def room(session: AsyncSession, files_app: FilesApp) -> int:
    """An active resource, committed; its id."""
    row = await rows.resource(session)
    await session.commit()
    return row.id
