from roomtime.core.errors import NotFoundError


class ResourceNotFoundError(NotFoundError):
    code = "resource_not_found"
    title = "Resource not found"
