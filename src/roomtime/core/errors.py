"""Domain exceptions. `api/problems.py` is the only place that maps them to HTTP."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

ErrorKind = Literal[
    "not_found",
    "conflict",
    "forbidden",
    "unauthorized",
    "invalid",
    "bad_request",
    "rate_limited",
    "busy",
    "unavailable",
    "too_large",
    "unsupported_media",
]


class DomainError(Exception):
    """A failure the caller can act on. `code` is stable and documented."""

    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Error"
    kind: ClassVar[ErrorKind] = "invalid"

    def __init__(
        self,
        detail: str | None = None,
        *,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.title
        self.retry_after = retry_after
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.detail)


class NotFoundError(DomainError):
    code = "not_found"
    title = "Not found"
    kind = "not_found"


class ConflictError(DomainError):
    code = "conflict"
    title = "Conflict"
    kind = "conflict"


class ForbiddenError(DomainError):
    code = "forbidden"
    title = "Forbidden"
    kind = "forbidden"


class UnauthorizedError(DomainError):
    code = "unauthorized"
    title = "Authentication required"
    kind = "unauthorized"


class InvalidError(DomainError):
    code = "invalid"
    title = "Invalid request"
    kind = "invalid"


class BadRequestError(DomainError):
    code = "bad_request"
    title = "Bad request"
    kind = "bad_request"


class RateLimitedError(DomainError):
    code = "rate_limited"
    title = "Too many requests"
    kind = "rate_limited"


class BusyError(DomainError):
    code = "busy"
    title = "Resource busy, retry shortly"
    kind = "busy"
