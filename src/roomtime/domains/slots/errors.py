from roomtime.core.errors import BusyError, ConflictError


class SlotsBookedError(ConflictError):
    code = "slots_booked"
    title = "Slots are booked or held"


class SlotsBusyError(BusyError):
    code = "slots_busy"
    title = "The slots are being changed by another request; retry shortly"
