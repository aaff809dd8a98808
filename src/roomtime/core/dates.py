"""Date and time types for request input, written as text only.

Pydantic's lax mode would take `0.5` or `1700000000` as a date (a Unix timestamp); the API
speaks ISO-8601, so anything else is a 422 at the edge.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
# Keeps day arithmetic (the next midnight, UTC offsets) inside what `date` can represent.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


def _iso_day_text(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and ISO_DAY.match(value)):
        return value
    raise ValueError("date must be written YYYY-MM-DD")


def _day_or_instant_text(value: object) -> object:
    if isinstance(value, date | datetime):
        return value
    if isinstance(value, str) and (ISO_DAY.match(value) or _ISO_INSTANT.match(value)):
        return value
    raise ValueError("expected a date (YYYY-MM-DD) or an ISO-8601 datetime with an offset")


def _in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"date must be between {FIRST_DAY} and {LAST_DAY}")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day_text), AfterValidator(_in_range)]
DayOrInstant = Annotated[AwareDatetime | date, BeforeValidator(_day_or_instant_text)]
