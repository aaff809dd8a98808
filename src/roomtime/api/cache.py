"""The cache dependency: the app's one `RedisCache` (it remembers whether Redis is degraded)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from roomtime.api.deps import InfraDep
from roomtime.core.redis.cache import Cache, Cached


async def get_cache(infra: InfraDep) -> Cache:
    return infra.cache


CacheDep = Annotated[Cache, Depends(get_cache)]


def cache_headers(cached: Cached[Any]) -> dict[str, str] | None:
    """`X-Cache: HIT|MISS` for cacheable answers; none for answers that are never cached."""
    return None if cached.header is None else {"X-Cache": cached.header}


def cached_response_doc(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry documenting the `X-Cache` header of a 200."""
    header = {"description": description, "schema": {"type": "string", "enum": ["HIT", "MISS"]}}
    return {200: {"headers": {"X-Cache": header}}}
