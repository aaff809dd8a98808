from roomtime.core.errors import ConflictError, NotFoundError


class UserNotFoundError(NotFoundError):
    code = "user_not_found"
    title = "User not found"


class EmailTakenError(ConflictError):
    code = "email_taken"
    title = "Email already registered"
