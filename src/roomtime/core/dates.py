"""Date and time types for request input: ISO-8601 text, inside a bounded range.

Every date or datetime the API accepts goes through one of these types. Pydantic's lax mode
would take `0.5` or `1700000000` as a date (a Unix timestamp); the API speaks ISO-8601, so
anything else is a 422 at the edge. The range keeps every calculation made with a value
(a day in a resource's time zone, the next midnight, an offset turned into UTC) inside what
`datetime` can represent: at the ends of the calendar those overflow, which was a 500.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)
EARLIEST = datetime.combine(FIRST_DAY, time.min, tzinfo=UTC)
LATEST = datetime.combine(LAST_DAY, time.max, tzinfo=UTC)
RANGE_TEXT = f"between {FIRST_DAY} and {LAST_DAY}"

_INSTANT_FORMAT = "an ISO-8601 datetime with an offset, e.g. 2030-01-08T12:00:00+01:00"


def _iso_day_text(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and ISO_DAY.match(value)):
        return value
    raise PydanticCustomError("date_format", "expected a date written YYYY-MM-DD")


def _instant_text(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_INSTANT.match(value)):
        return value
    raise PydanticCustomError("datetime_format", f"expected {_INSTANT_FORMAT}")


def _day_or_instant_text(value: object) -> object:
    if isinstance(value, date | datetime):
        return value
    if isinstance(value, str) and (ISO_DAY.match(value) or _ISO_INSTANT.match(value)):
        return value
    raise PydanticCustomError(
        "date_or_datetime_format", f"expected a date (YYYY-MM-DD) or {_INSTANT_FORMAT}"
    )


def _day_in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError("date_out_of_range", f"date must be {RANGE_TEXT}")
    return value


def _instant_in_range(value: datetime) -> datetime:
    # Aware datetimes compare by their UTC instant without converting (which can overflow).
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError("datetime_out_of_range", f"datetime must be {RANGE_TEXT} in UTC")
    return value


def _day_or_instant_in_range(value: date) -> date:
    return _instant_in_range(value) if isinstance(value, datetime) else _day_in_range(value)


IsoDay = Annotated[date, BeforeValidator(_iso_day_text), AfterValidator(_day_in_range)]
"""A calendar day, `YYYY-MM-DD`, from 1970-01-01 to 9998-12-31."""

Instant = Annotated[
    AwareDatetime, BeforeValidator(_instant_text), AfterValidator(_instant_in_range)
]
"""A point in time with an offset (naive is refused), within the same range in UTC."""

DayOrInstant = Annotated[
    AwareDatetime | date,
    BeforeValidator(_day_or_instant_text),
    AfterValidator(_day_or_instant_in_range),
]
"""A list filter: a whole UTC day or a point in time."""
