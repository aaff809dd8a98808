"""FastAPI dependencies of the files routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from roomtime.api.deps import InfraDep, SettingsDep
from roomtime.core.storage import Storage
from roomtime.domains.auth.dependencies import OptionalUser
from roomtime.domains.files.service import UploadLimits, UploadPolicy, check_declared_length
from roomtime.domains.users.constants import ROLE_ADMIN


async def get_storage(infra: InfraDep) -> Storage:
    return infra.storage


async def upload_policy(settings: SettingsDep) -> UploadPolicy:
    return UploadPolicy(
        max_bytes=settings.files.max_upload_bytes,
        allowed_types=settings.files.allowed_type_set,
    )


async def refuse_oversized_body(request: Request, settings: SettingsDep) -> None:
    """413 from the Content-Length alone, before authentication or a byte of the body."""
    limits = UploadLimits(settings.files.max_upload_bytes)
    check_declared_length(request.headers.get("content-length"), limits)


async def viewer_is_admin(user: OptionalUser) -> bool:
    return user is not None and user.role == ROLE_ADMIN


StorageDep = Annotated[Storage, Depends(get_storage)]
UploadPolicyDep = Annotated[UploadPolicy, Depends(upload_policy)]
ViewerIsAdmin = Annotated[bool, Depends(viewer_is_admin)]
