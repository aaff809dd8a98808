# A specialist's calendar: 30-minute slots unless the admin says otherwise (appointments are
# usually a multiple of half an hour).
DEFAULT_SLOT_MINUTES = 30
DEFAULT_LOCATION = "By appointment"
MAX_SERVICE_MINUTES = 1440
