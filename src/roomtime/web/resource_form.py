"""The admin resource form <-> the API's resource body.

Only shape conversion lives here (text fields to numbers, local times to offsets); whether a
value is acceptable is decided by the API, whose problem detail the form then shows.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = range(7)
_NUMBERS = ("capacity", "slot_minutes", "max_hold_slots")
_OPTIONAL_NUMBERS = ("hold_ttl_seconds", "cancel_deadline_minutes")
_TEXTS = ("name", "location", "description", "timezone", "booking_mode")


def _number(text: str) -> int | str:
    # A non-number is passed on as text, so the API names the field in its 422.
    return int(text) if text.strip().lstrip("-").isdigit() else text


def single_interval_hours(resource: dict[str, Any] | None) -> dict[int, dict[str, str]] | None:
    """Opening hours as one interval per weekday, or None when some weekday has several
    (the form then leaves the hours alone)."""
    if resource is None:
        return {d: {"opens": "08:00", "closes": "20:00"} for d in WEEKDAYS}
    hours: dict[int, dict[str, str]] = {}
    for item in resource["opening_hours"]:
        if item["weekday"] in hours:
            return None
        hours[item["weekday"]] = {"opens": item["opens"], "closes": item["closes"]}
    return hours


def body_from(form: dict[str, str], *, with_hours: bool) -> dict[str, Any]:
    body: dict[str, Any] = {name: form.get(name, "") for name in _TEXTS if name in form}
    for name in _NUMBERS:
        if name in form:
            body[name] = _number(form[name])
    for name in _OPTIONAL_NUMBERS:
        if name in form:
            body[name] = _number(form[name]) if form[name].strip() else None
    if with_hours:
        body["opening_hours"] = [
            {"weekday": d, "opens": form[f"opens_{d}"], "closes": form[f"closes_{d}"]}
            for d in WEEKDAYS
            if form.get(f"opens_{d}") and form.get(f"closes_{d}")
        ]
    return body


def local_range(day: str, start: str, end: str, zone: str) -> dict[str, str]:
    """A [start, end) range of one local day of the resource, as offset-aware times."""
    try:
        on = date.fromisoformat(day)
        tz = ZoneInfo(zone)
        starts = datetime.combine(on, time.fromisoformat(start), tz)
        ends = datetime.combine(on, time.fromisoformat(end), tz)
    except ValueError:
        # Passed on as typed, for the API to refuse with its own message.
        return {"starts_at": f"{day}T{start}", "ends_at": f"{day}T{end}"}
    return {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}
