from roomtime.core.errors import (
    BadRequestError,
    ConflictError,
    InvalidError,
    NotFoundError,
    RateLimitedError,
)


class BookingNotFoundError(NotFoundError):
    code = "booking_not_found"
    title = "Booking not found"


class SlotsUnavailableError(ConflictError):
    code = "slots_unavailable"
    title = "Slots unavailable"


class HoldExpiredError(ConflictError):
    code = "hold_expired"
    title = "Hold expired"


class AlreadyBookedError(ConflictError):
    code = "already_booked"
    title = "You already have a live booking for this event"


class BookingNotPendingError(ConflictError):
    code = "booking_not_pending"
    title = "The booking is no longer a hold"


class BookingEndedError(ConflictError):
    code = "booking_ended"
    title = "Booking has ended"


class BookingStartedError(ConflictError):
    code = "booking_started"
    title = "Booking has already started"


class CancelDeadlinePassedError(ConflictError):
    code = "cancel_deadline_passed"
    title = "Cancellation deadline passed"


class InvalidTransitionError(ConflictError):
    code = "invalid_status_transition"
    title = "Status change not allowed"


class IdempotencyInProgressError(ConflictError):
    code = "idempotency_in_progress"
    title = "A request with this Idempotency-Key is still being processed"


class IdempotencyKeyReusedError(InvalidError):
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused with a different request"


class InvalidIdempotencyKeyError(BadRequestError):
    code = "invalid_idempotency_key"
    title = "Invalid Idempotency-Key header"


class ConfirmRateLimitedError(RateLimitedError):
    code = "rate_limited"
    title = "Too many requests"


class HoldRateLimitedError(RateLimitedError):
    code = "rate_limited"
    title = "Too many requests"


# Per-user caps on holding, so one account cannot hoard the calendar.
class TooManyHoldsError(ConflictError):
    code = "too_many_holds"
    title = "Too many live holds"


class BookingLimitReachedError(ConflictError):
    code = "booking_limit_reached"
    title = "Booking limit for this resource reached"


# Hold validation: one 422 code per rule, so a client can tell the user what to change.
class InvalidRangeError(InvalidError):
    code = "invalid_range"
    title = "ends_at must be after starts_at"


class StartsInPastError(InvalidError):
    code = "starts_in_past"
    title = "The range must start in the future"


class NotAlignedError(InvalidError):
    code = "not_aligned"
    title = "The range must start and end on slot boundaries"


class OutsideOpeningHoursError(InvalidError):
    code = "outside_opening_hours"
    title = "The range must lie within opening hours, without gaps"


class TooManySlotsError(InvalidError):
    code = "too_many_slots"
    title = "The range spans more slots than the resource allows"


class PartyTooLargeError(InvalidError):
    code = "party_too_large"
    title = "party_size exceeds the resource's capacity"
