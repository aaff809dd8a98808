"""The cache dependency: the app's one `RedisCache` (it remembers whether Redis is degraded)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Response

from roomtime.api.deps import InfraDep
from roomtime.core.redis.cache import Cache, Cached


async def get_cache(infra: InfraDep) -> Cache:
    return infra.cache


CacheDep = Annotated[Cache, Depends(get_cache)]


def set_cache_header(response: Response, cached: Cached[Any]) -> None:
    """`X-Cache: HIT|MISS` on cacheable answers; none on answers that are never cached."""
    if cached.header is not None:
        response.headers["X-Cache"] = cached.header


def cached_response_doc(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry documenting the `X-Cache` header of a 200."""
    header = {"description": description, "schema": {"type": "string", "enum": ["HIT", "MISS"]}}
    return {200: {"headers": {"X-Cache": header}}}
