"""POST /resources/{id}/file (admin) and GET /files/{id} (R-27)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from roomtime.api.deps import ClientIpDep, SessionDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.core.ids import MAX_ID
from roomtime.domains.auth.dependencies import AdminUser
from roomtime.domains.files import service
from roomtime.domains.files.dependencies import (
    StorageDep,
    UploadPolicyDep,
    ViewerIsAdmin,
    refuse_oversized_body,
)
from roomtime.domains.files.responses import file_response
from roomtime.domains.files.schemas import FileRead, file_url

router = APIRouter(tags=["files"], responses=COMMON_RESPONSES)

# The one route that streams its body under its own limit (MAX_UPLOAD_BYTES), exempt from
# the JSON body cap.
UPLOAD_PATH = "/resources/{resource_id}/file"

_ID = Path(ge=1, le=MAX_ID)
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
_UPLOAD_DOC = """Upload the resource's file (PNG, JPEG, WEBP or PDF) as `multipart/form-data` in the
field `file`. The type is detected from the content alone: neither the declared part type
nor the file name counts (the name is kept only as a display name). At most
`MAX_UPLOAD_BYTES` (413 `file_too_large`, also from `Content-Length` alone); an empty file
is 422 `empty_file`. The resource's `file_url` then points at the new file; the previous one
stays stored until `cleanup-uploads` removes it. With `STORAGE=s3`, a bucket that does not
answer is 503 `storage_unavailable` and nothing is kept."""
_DOWNLOAD_DOC = """Serve a stored file with its detected type, `Content-Disposition` (inline for
images, attachment for PDF), `X-Content-Type-Options: nosniff`, `Content-Security-Policy:
sandbox`, a strong `ETag` (the quoted SHA-256) and `Cache-Control: public, max-age=86400`.
`If-None-Match` with the ETag answers 304. Anyone may fetch the current file of an active
resource; other files (of a deactivated resource, replaced ones) only admins: 404 otherwise.
With `STORAGE=s3` the bytes come from the bucket, relayed with the same headers
(`S3_SERVE=stream`), or the answer is `307` to a presigned URL valid `S3_PRESIGN_SECONDS`
(`S3_SERVE=redirect`; `Cache-Control: no-store`, the same `ETag` and 304); a bucket that does
not answer is 503 `storage_unavailable`."""
_FILE_CONTENT = {"image/png": {}, "image/jpeg": {}, "image/webp": {}, "application/pdf": {}}


@router.post(
    UPLOAD_PATH,
    status_code=201,
    response_model=FileRead,
    summary="Upload the resource's file (admin)",
    description=_UPLOAD_DOC,
    dependencies=[Depends(refuse_oversized_body)],
    openapi_extra=_UPLOAD_BODY,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 503),
)
async def upload_resource_file(
    resource_id: Annotated[int, _ID],
    request: Request,
    response: Response,
    admin: AdminUser,
    session: SessionDep,
    storage: StorageDep,
    policy: UploadPolicyDep,
    ip: ClientIpDep,
) -> FileRead:
    upload = service.IncomingUpload(request.stream(), request.headers.get("content-type"))
    row = await service.upload_resource_file(
        session,
        storage,
        resource_id=resource_id,
        upload=upload,
        policy=policy,
        actor_user_id=admin.id,
        ip=ip,
    )
    response.headers["Location"] = file_url(row.id)
    return service.to_read(row)


@router.get(
    "/files/{file_id}",
    summary="Download a stored file",
    description=_DOWNLOAD_DOC,
    response_class=Response,
    responses={
        200: {"description": "The file", "content": _FILE_CONTENT},
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
        307: {
            "description": "With STORAGE=s3 and S3_SERVE=redirect: the file is at the "
            "presigned URL in `Location`, valid S3_PRESIGN_SECONDS"
        },
        **problem_responses(401, 404, 503),
    },
)
async def download_file(
    file_id: Annotated[int, _ID],
    request: Request,
    session: SessionDep,
    storage: StorageDep,
    is_admin: ViewerIsAdmin,
) -> Response:
    download = await service.get_download(session, storage, file_id, viewer_is_admin=is_admin)
    return await file_response(download, if_none_match=request.headers.get("if-none-match"))
