"""Dates and times as people read them: in the resource's time zone, with the zone named."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from roomtime.web.i18n import Translator


def parse(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def local(value: str | datetime, zone: str) -> datetime:
    return parse(value).astimezone(ZoneInfo(zone))


def day_label(day: date, t: Translator) -> str:
    weekday = t("weekdays").split(",")[day.weekday()]
    month = t("months").split(",")[day.month - 1]
    return t("day_format", weekday=weekday, day=day.day, month=month, year=day.year)


def span(starts_at: str | datetime, ends_at: str | datetime, zone: str, t: Translator) -> str:
    """'Tue 8 Dec 2026, 09:00–10:00 (Europe/Berlin)'; the end's day too if it differs."""
    start, end = local(starts_at, zone), local(ends_at, zone)
    end_text = (
        f"{end:%H:%M}" if end.date() == start.date() else f"{day_label(end.date(), t)} {end:%H:%M}"
    )
    return f"{day_label(start.date(), t)}, {start:%H:%M}–{end_text} ({zone})"


def moment(value: str | datetime, zone: str, t: Translator) -> str:
    at = local(value, zone)
    return f"{day_label(at.date(), t)}, {at:%H:%M} ({zone})"


def clock_span(starts_at: str | datetime, ends_at: str | datetime, zone: str) -> str:
    """'09:00–10:00': the times of a slot on a day already named on the page."""
    return f"{local(starts_at, zone):%H:%M}–{local(ends_at, zone):%H:%M}"


def clock(value: str | datetime, zone: str) -> str:
    """'09:00': a moment on a day already named on the page."""
    return f"{local(value, zone):%H:%M}"
