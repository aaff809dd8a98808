"""Identifier types for request input: ids are PostgreSQL bigints, so anything outside
1…2**63-1 is a 422 at the edge instead of an overflow deep in the driver."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

MAX_ID = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def id_path(description: str) -> object:
    return Path(ge=1, le=MAX_ID, description=description, examples=[1])
