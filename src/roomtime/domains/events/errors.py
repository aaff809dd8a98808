from roomtime.core.errors import ConflictError, InvalidError, NotFoundError


class EventNotFoundError(NotFoundError):
    code = "event_not_found"
    title = "Event not found"


class SoldOutError(ConflictError):
    code = "sold_out"
    title = "No seats left"


class EventCancelledError(ConflictError):
    code = "event_cancelled"
    title = "The event is cancelled"


class EventStartedError(ConflictError):
    code = "event_started"
    title = "The event has started"


class EventEndedError(ConflictError):
    code = "event_ended"
    title = "The event has ended"


class SeatsBelowBookedError(ConflictError):
    code = "seats_below_booked"
    title = "More seats are booked than that"


class EventHasBookingsError(ConflictError):
    code = "event_has_bookings"
    title = "The event has live bookings"


class EventInPastError(InvalidError):
    code = "starts_in_past"
    title = "The event must start in the future"


class InvalidEventRangeError(InvalidError):
    code = "invalid_range"
    title = "ends_at must be after starts_at"


class TooManySeatsError(InvalidError):
    code = "too_many_seats"
    title = "More seats than the event has"


class SeatsNotAllowedError(InvalidError):
    code = "seats_not_allowed"
    title = "An event without a seat limit takes one place per person"
