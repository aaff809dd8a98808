BOOKING_MODE_EXCLUSIVE = "exclusive"
BOOKING_MODE_SHARED = "shared"
BOOKING_MODES = (BOOKING_MODE_EXCLUSIVE, BOOKING_MODE_SHARED)

# GET /resources: the sortable fields (each also descending with "-") and the default order.
SORT_FIELDS = ("name", "created_at", "capacity")
DEFAULT_SORT = "name"
# The plain public list is a reference list: briefly cached, invalidated on every change.
LIST_CACHE_TTL_SECONDS = 30
