"""The cache dependency: one `RedisCache` per app (it remembers whether Redis is degraded)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response

from roomtime.core.redis.cache import Cache, Cached, RedisCache
from roomtime.core.redis.keys import Keys


def get_cache(request: Request) -> Cache:
    state = request.app.state
    cache = getattr(state, "cache", None)
    # The Redis client is created by the lifespan: a restarted app gets a new one.
    if not isinstance(cache, RedisCache) or cache.redis is not state.redis:
        cache = RedisCache(state.redis, Keys(state.settings.redis.redis_key_prefix))
        state.cache = cache
    return cache


CacheDep = Annotated[Cache, Depends(get_cache)]


def set_cache_header(response: Response, cached: Cached[Any]) -> None:
    """`X-Cache: HIT|MISS` on cacheable answers; none on answers that are never cached."""
    if cached.header is not None:
        response.headers["X-Cache"] = cached.header


def cached_response_doc(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry documenting the `X-Cache` header of a 200."""
    header = {"description": description, "schema": {"type": "string", "enum": ["HIT", "MISS"]}}
    return {200: {"headers": {"X-Cache": header}}}
