from roomtime.core.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    RateLimitedError,
    UnauthorizedError,
)


class NotAuthenticatedError(UnauthorizedError):
    code = "not_authenticated"
    title = "Authentication required"


class InvalidTokenError(UnauthorizedError):
    code = "invalid_token"
    title = "Invalid or expired access token"


class InvalidCredentialsError(UnauthorizedError):
    code = "invalid_credentials"
    title = "Invalid email or password"


class InvalidRefreshTokenError(UnauthorizedError):
    code = "invalid_refresh_token"
    title = "Invalid or expired refresh token"


class RefreshTokenReusedError(UnauthorizedError):
    code = "refresh_token_reused"
    title = "Refresh token reuse detected; the session was revoked"


class InvalidResetTokenError(BadRequestError):
    code = "invalid_reset_token"
    title = "Invalid or expired password reset token"


class AdminRequiredError(ForbiddenError):
    code = "forbidden"
    title = "Administrator role required"


class SpecialistRequiredError(ForbiddenError):
    code = "forbidden"
    title = "Specialist or administrator role required"


class TooManyAttemptsError(RateLimitedError):
    code = "rate_limited"
    title = "Too many requests"


class InvalidVerificationTokenError(BadRequestError):
    code = "invalid_verification_token"
    title = "Invalid or expired email verification token"


class EmailNotVerifiedError(ForbiddenError):
    code = "email_not_verified"
    title = "Email address not verified"


class ExistingAccountError(ConflictError):
    """create-admin on an address that already has a non-admin account, without --promote."""

    code = "account_exists"
    title = "An account with this email already exists"
