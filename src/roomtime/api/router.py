"""Mounts the domain routers at the paths of SPEC §4."""

from __future__ import annotations

from fastapi import APIRouter

from roomtime.api import health

api_router = APIRouter()
api_router.include_router(health.router)
