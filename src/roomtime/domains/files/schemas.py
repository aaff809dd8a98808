"""What the files API returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


def file_url(file_id: int) -> str:
    """The documented URL of a stored file, relative to the API's base URL."""
    return f"/files/{file_id}"


class FileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str = Field(examples=["/files/42"], description="GET it to download the file")
    size_bytes: int = Field(examples=[48213])
    mime: str = Field(examples=["image/png"], description="Detected from the content")
    sha256: str = Field(
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
    )
    original_name: str = Field(examples=["room-3.png"], description="Sanitized; display only")
    created_at: datetime
