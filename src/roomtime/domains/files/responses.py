"""HTTP responses for stored files: type, disposition, caching and hardening headers."""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from roomtime.core.storage import LocalFile, Redirect, Stream
from roomtime.domains.files.service import Download

PUBLIC_CACHE = "public, max-age=86400"
# A file only an admin may see must not be kept by a shared cache for the next client.
PRIVATE_CACHE = "private, no-cache"
NO_STORE = "no-store"


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    # If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/ does not matter.
    candidates = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return etag in candidates


async def file_response(download: Download, *, if_none_match: str | None) -> Response:
    headers = {
        "ETag": download.etag,
        "Cache-Control": PUBLIC_CACHE if download.public else PRIVATE_CACHE,
        "X-Content-Type-Options": "nosniff",
        # Opened directly, even a file that slipped past the checks cannot run script.
        "Content-Security-Policy": "sandbox",
    }
    source = download.source
    if _etag_matches(if_none_match, download.etag):
        if isinstance(source, Stream):
            await source.close()
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = download.content_disposition
    if isinstance(source, LocalFile):
        return FileResponse(source.path, media_type=download.mime, headers=headers)
    if isinstance(source, Redirect):
        # The URL expires, so neither the client nor a shared cache may keep the redirect.
        return RedirectResponse(
            source.url, status_code=307, headers={"ETag": download.etag, "Cache-Control": NO_STORE}
        )
    headers["Content-Length"] = str(source.size)
    return StreamingResponse(
        source.chunks,
        media_type=download.mime,
        headers=headers,
        background=BackgroundTask(source.close),
    )
