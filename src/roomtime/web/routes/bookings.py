"""My bookings: the list (by status), cancelling, and moving a confirmed one (R-38)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from roomtime.web import lookups
from roomtime.web.page_route import PageRoute
from roomtime.web.render import Ui
from roomtime.web.timefmt import parse

router = APIRouter(include_in_schema=False, route_class=PageRoute)
STATUSES = ("pending", "confirmed", "cancelled", "expired", "archived")
PAGE_SIZE = 20


@router.get("/my/bookings")
async def my_bookings(request: Request, status: str = "", offset: int = 0) -> Response:
    ui = await Ui.open(request, signed_in=True)
    chosen = status if status in STATUSES else None
    page = await ui.api.get("/bookings/me", status=chosen, limit=PAGE_SIZE, offset=max(offset, 0))
    resources = await lookups.resources_by_id(ui, (b["resource_id"] for b in page["items"]))
    events = await lookups.events_by_id(ui, (b["event_id"] for b in page["items"] if b["event_id"]))
    return ui.page(
        "my_bookings.html",
        title=ui.t("nav_my_bookings"),
        page=page,
        resources=resources,
        events=events,
        statuses=STATUSES,
        status=chosen or "",
        links=lookups.page_links(page),
    )


@router.post("/my/bookings/{booking_id}/cancel")
async def cancel(request: Request, booking_id: int) -> Response:
    ui, form = await Ui.form(request, "/my/bookings")
    reason = form.get("reason", "").strip()
    await ui.api.call(
        "POST", f"/bookings/{booking_id}/cancel", json={"reason": reason} if reason else None
    )
    return ui.redirect("/my/bookings", ok=ui.t("cancelled"))


async def _my_confirmed(ui: Ui, booking_id: int) -> dict[str, Any] | None:
    """The caller's confirmed booking with this id; the list is paged, so walk it."""
    offset = 0
    while True:
        page = await ui.api.get(
            "/bookings/me", status="confirmed", limit=lookups.MAX_PAGE, offset=offset
        )
        found = next((b for b in page["items"] if b["id"] == booking_id), None)
        offset += lookups.MAX_PAGE
        if found is not None or offset >= page["total"]:
            return found


@router.get("/my/bookings/{booking_id}/change")
async def change_page(request: Request, booking_id: int, date: str = "") -> Response:
    ui = await Ui.open(request, signed_in=True)
    booking = await _my_confirmed(ui, booking_id)
    if booking is None or booking.get("event_id") is not None:
        return ui.redirect("/my/bookings", error=ui.t("cannot_change"))
    resource = (await lookups.resources_by_id(ui, [booking["resource_id"]]))[booking["resource_id"]]
    zone = resource["timezone"]
    today = lookups.today_in(zone, ui)
    booked_day = parse(booking["starts_at"]).astimezone(ZoneInfo(zone)).date()
    day = lookups.parse_day(date) or max(booked_day, today)
    availability = await ui.api.get(
        f"/resources/{booking['resource_id']}/availability", date=day.isoformat()
    )
    return ui.page(
        "change_booking.html",
        title=ui.t("change_title"),
        booking=booking,
        resource=resource,
        day=day,
        today=today,
        slots=availability["slots"],
    )


@router.post("/my/bookings/{booking_id}/change")
async def change(request: Request, booking_id: int) -> Response:
    back = f"/my/bookings/{booking_id}/change"
    ui, form = await Ui.form(request, back)
    if lookups.parse_day(form.get("date")):
        ui.back = f"{back}?date={form['date']}"
    body = {"starts_at": form.get("starts_at", ""), "ends_at": form.get("ends_at", "")}
    await ui.api.call("PATCH", f"/bookings/{booking_id}", json=body)
    return ui.redirect("/my/bookings", ok=ui.t("changed"))
