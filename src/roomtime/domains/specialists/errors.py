from roomtime.core.errors import ConflictError, InvalidError, NotFoundError


class SpecialistNotFoundError(NotFoundError):
    code = "specialist_not_found"
    title = "Specialist not found"


class ServiceNotFoundError(NotFoundError):
    code = "service_not_found"
    title = "Service not found"


class AlreadySpecialistError(ConflictError):
    code = "already_specialist"
    title = "This user is already a specialist"


class UserInactiveError(InvalidError):
    code = "user_inactive"
    title = "The user account is deactivated"


class SpecialistIdRequiredError(InvalidError):
    code = "specialist_id_required"
    title = "Name the specialist (specialist_id) to act for"


class ServiceInactiveError(InvalidError):
    code = "service_inactive"
    title = "The service is not offered any more"


class SpecialistInactiveError(InvalidError):
    code = "specialist_inactive"
    title = "The specialist is not taking bookings"


class DurationNotOnGridError(InvalidError):
    code = "duration_not_on_grid"
    title = "The duration must be a whole number of the specialist's slots"
