from roomtime.core.errors import ConflictError


class SlotsBookedError(ConflictError):
    code = "slots_booked"
    title = "Slots are booked or held"
