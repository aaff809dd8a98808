from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor_user_id: int | None
    action: str
    entity: str
    entity_id: str | None
    meta: dict[str, Any]
    request_id: str | None
    ip: str | None
    ts: datetime
