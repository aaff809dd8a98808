"""Why an upload or a download was refused; `api/problems.py` maps the kinds to statuses."""

from __future__ import annotations

from roomtime.core.errors import (
    BadRequestError,
    DomainError,
    InvalidError,
    NotFoundError,
)


class UploadNotFoundError(NotFoundError):
    code = "file_not_found"
    title = "File not found"


class FileTooLargeError(DomainError):
    code = "file_too_large"
    title = "File too large"
    kind = "too_large"


class ImageTooLargeError(DomainError):
    code = "image_too_large"
    title = "Image dimensions too large"
    kind = "too_large"


class UnsupportedFileTypeError(DomainError):
    code = "unsupported_file_type"
    title = "Unsupported file type"
    kind = "unsupported_media"


class EmptyFileError(InvalidError):
    code = "empty_file"
    title = "Empty file"


class InvalidUploadError(InvalidError):
    code = "invalid_upload"
    title = "Invalid upload"


class StorageUnavailableError(DomainError):
    code = "storage_unavailable"
    title = "File storage unavailable"
    kind = "unavailable"


class MalformedMultipartError(BadRequestError):
    code = "malformed_multipart"
    title = "Malformed multipart body"


# Refusals of the content itself: these are logged and audited as failed validations.
CONTENT_REFUSALS: tuple[type[DomainError], ...] = (
    FileTooLargeError,
    ImageTooLargeError,
    UnsupportedFileTypeError,
    EmptyFileError,
)
