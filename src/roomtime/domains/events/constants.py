SCHEDULED = "scheduled"
CANCELLED = "cancelled"
EVENT_STATUSES = (SCHEDULED, CANCELLED)

# An unlimited event still books through a shared slot, whose capacity is a number: this
# ceiling stands for "no limit" (the API shows `total_seats: null`, `available_seats: null`).
UNLIMITED_SEATS = 1_000_000
MAX_TOTAL_SEATS = 100_000
# The most seats one booking may take (of an event with a seat limit).
MAX_SEATS_PER_BOOKING = 100
MAX_TTL_MINUTES = 1440
# Events as long as a festival, no longer: the slot of an event covers it whole.
MAX_EVENT_DAYS = 31
EVENT_TIMEZONE = "UTC"
