"""Reads several pages need, all through the JSON API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from roomtime.web.api_client import ApiProblemError
from roomtime.web.render import Ui
from roomtime.web.timefmt import parse

MAX_PAGE = 100


async def resources_by_id(ui: Ui, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each resource once; one no longer visible is named by its id, in UTC."""
    found: dict[int, dict[str, Any]] = {}
    for resource_id in sorted(set(ids)):
        try:
            found[resource_id] = await ui.api.get(f"/resources/{resource_id}")
        except ApiProblemError as problem:
            if problem.status != 404:
                raise
            found[resource_id] = {"id": resource_id, "name": f"#{resource_id}", "timezone": "UTC"}
    return found


async def my_pending(ui: Ui, booking_id: int) -> dict[str, Any] | None:
    """The caller's live hold with this id (holds per person are few: one page covers them)."""
    page = await ui.api.get("/bookings/me", status="pending", limit=MAX_PAGE)
    return next((b for b in page["items"] if b["id"] == booking_id), None)


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD from an address or a form, or None (the page then picks its default)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def seconds_left(booking: dict[str, Any], ui: Ui) -> int:
    """What the hold countdown starts from: whole seconds until the booking expires."""
    left = parse(booking["expires_at"]) - ui.request.app.state.clock()
    return max(int(left.total_seconds()), 0)


def today_in(zone: str, ui: Ui) -> date:
    now = ui.request.app.state.clock()
    return now.astimezone(ZoneInfo(zone)).date()


def page_links(page: dict[str, Any]) -> dict[str, int | None]:
    """Offsets of the previous and next pages of an API page (None where there is none)."""
    limit, offset, total = page["limit"], page["offset"], page["total"]
    return {
        "prev": max(offset - limit, 0) if offset > 0 else None,
        "next": offset + limit if offset + limit < total else None,
        "first": offset + 1 if total else 0,
        "last": min(offset + limit, total),
        "total": total,
    }


async def events_by_id(ui: Ui, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each event once, named on the list in place of its hidden seat resource."""
    found: dict[int, dict[str, Any]] = {}
    for event_id in sorted(set(ids)):
        try:
            found[event_id] = await ui.api.get(f"/events/{event_id}")
        except ApiProblemError as problem:
            if problem.status != 404:
                raise
            found[event_id] = {"id": event_id, "name": f"#{event_id}"}
    return found
