from roomtime.core.errors import NotFoundError


class NotificationNotFoundError(NotFoundError):
    code = "notification_not_found"
    title = "Notification not found"
