"""Events (R-36): browse and search them, book seats (a pending booking with its countdown),
pay (confirm); for admins create one, cancel it with a reason, see who is coming.

Events have no time zone of their own: times are shown in UTC, named as such.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from roomtime.web import lookups
from roomtime.web.api_client import ApiProblemError
from roomtime.web.page_route import PageRoute
from roomtime.web.render import Ui

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 12
ZONE = "UTC"


@router.get("/browse/events")
async def browse(
    request: Request, q: str = "", date_from: str = "", date_to: str = "", offset: int = 0
) -> Response:
    ui = await Ui.open(request)
    start, end = lookups.parse_day(date_from), lookups.parse_day(date_to)
    page = await ui.api.get(
        "/events",
        q=q.strip(),
        **{"from": start.isoformat() if start else None},
        to=end.isoformat() if end else None,
        limit=PAGE_SIZE,
        offset=max(offset, 0),
    )
    return ui.page(
        "events/browse.html",
        title=ui.t("events_title"),
        page=page,
        q=q,
        date_from=start.isoformat() if start else "",
        date_to=end.isoformat() if end else "",
        zone=ZONE,
        links=lookups.page_links(page),
    )


@router.get("/browse/events/{event_id}")
async def event_page(request: Request, event_id: int, offset: int = 0) -> Response:
    ui = await Ui.open(request)
    event = await ui.api.get(f"/events/{event_id}")
    participants: dict[str, Any] | None = None
    if ui.is_admin:
        participants = await ui.api.get(
            f"/events/{event_id}/participants", limit=50, offset=max(offset, 0)
        )
    return ui.page(
        "events/event.html",
        title=event["name"],
        event=event,
        zone=ZONE,
        participants=participants,
        links=lookups.page_links(participants) if participants else None,
    )


@router.post("/browse/events/{event_id}/book")
async def book(request: Request, event_id: int) -> Response:
    ui, form = await Ui.form(request, f"/browse/events/{event_id}")
    seats = form.get("seats", "1")
    body = {"seats": int(seats) if seats.isdigit() else seats}
    booking = (await ui.api.call("POST", f"/events/{event_id}/book", json=body)).json()
    return ui.redirect(f"/my/events/{booking['id']}")


@router.get("/my/events/{booking_id}")
async def pending_page(request: Request, booking_id: int) -> Response:
    ui = await Ui.open(request, signed_in=True)
    booking = await lookups.my_pending(ui, booking_id)
    if booking is None or booking.get("event_id") is None:
        return ui.redirect("/my/bookings", error=ui.t("hold_gone"))
    event = await ui.api.get(f"/events/{booking['event_id']}")
    remaining = lookups.seconds_left(booking, ui)
    return ui.page(
        "events/pending.html",
        title=ui.t("event_pending_title"),
        booking=booking,
        event=event,
        zone=ZONE,
        remaining=remaining,
    )


@router.post("/my/events/{booking_id}/confirm")
async def pay(request: Request, booking_id: int) -> Response:
    ui, form = await Ui.form(request, f"/my/events/{booking_id}")
    key = form.get("idempotency_key", "")
    headers = {"Idempotency-Key": key} if key else None
    try:
        await ui.api.call("POST", f"/bookings/{booking_id}/confirm", headers=headers)
    except ApiProblemError as problem:
        if problem.status != 409:
            raise
        # Expired or no longer pending: its page is gone, so say it on the list.
        return ui.redirect("/my/bookings", error=ui.problem_text(problem))
    return ui.redirect("/my/bookings", ok=ui.t("event_paid"))


# Admin --------------------------------------------------------------------------------


@router.get("/admin/events")
async def admin_events(request: Request, offset: int = 0) -> Response:
    ui = await Ui.open(request, signed_in=True)
    page = await ui.api.get("/events", limit=PAGE_SIZE, offset=max(offset, 0))
    return ui.page(
        "events/admin.html",
        title=ui.t("nav_admin_events"),
        page=page,
        zone=ZONE,
        links=lookups.page_links(page),
    )


def _instant(day: str, clock: str) -> str:
    """A UTC instant from a date and a time field, or what was typed (the API explains)."""
    return f"{day}T{clock}:00+00:00" if day and clock else ""


@router.post("/admin/events")
async def create_event(request: Request) -> Response:
    ui, form = await Ui.form(request, "/admin/events")
    seats, ttl = form.get("total_seats", "").strip(), form.get("booking_ttl_minutes", "").strip()
    body: dict[str, Any] = {
        "name": form.get("name", ""),
        "starts_at": _instant(form.get("date", ""), form.get("starts", "")),
        "ends_at": _instant(form.get("date", ""), form.get("ends", "")),
        "total_seats": (int(seats) if seats.isdigit() else seats) if seats else None,
        "booking_ttl_minutes": int(ttl) if ttl.isdigit() else ttl,
    }
    for optional in ("short_description", "location", "payment_info"):
        if value := form.get(optional, "").strip():
            body[optional] = value
    event = (await ui.api.call("POST", "/events", json=body)).json()
    return ui.redirect(f"/browse/events/{event['id']}", ok=ui.t("event_created"))


@router.post("/admin/events/{event_id}/cancel")
async def cancel_event(request: Request, event_id: int) -> Response:
    ui, form = await Ui.form(request, f"/browse/events/{event_id}")
    reason = form.get("reason", "").strip()
    await ui.api.call("POST", f"/events/{event_id}/cancel", json={"reason": reason})
    return ui.redirect(f"/browse/events/{event_id}", ok=ui.t("event_cancelled"))
