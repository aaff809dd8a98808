"""Queue jobs of the files domain; the jobs registry calls them with its context dict."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from roomtime.domains.files import service
from roomtime.infrastructure import infra_of


async def cleanup_uploads_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`cleanup-uploads` (daily, and `roomtime job run cleanup-uploads`): what it removed."""
    infra = infra_of(ctx)
    settings = infra.settings
    async with infra.sessionmaker() as session:
        report = await service.cleanup_uploads(
            session,
            infra.storage,
            now=infra.clock(),
            grace=timedelta(seconds=settings.files.upload_grace_seconds),
        )
    return report.as_dict()
