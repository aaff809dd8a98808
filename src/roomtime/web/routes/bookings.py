"""My bookings: the list (by status) and cancelling."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from roomtime.web import lookups
from roomtime.web.page_route import PageRoute
from roomtime.web.render import Ui

router = APIRouter(include_in_schema=False, route_class=PageRoute)
STATUSES = ("pending", "confirmed", "cancelled", "expired", "archived")
PAGE_SIZE = 20


@router.get("/my/bookings")
async def my_bookings(request: Request, status: str = "", offset: int = 0) -> Response:
    ui = await Ui.open(request, signed_in=True)
    chosen = status if status in STATUSES else None
    page = await ui.api.get("/bookings/me", status=chosen, limit=PAGE_SIZE, offset=max(offset, 0))
    resources = await lookups.resources_by_id(ui, (b["resource_id"] for b in page["items"]))
    return ui.page(
        "my_bookings.html",
        title=ui.t("nav_my_bookings"),
        page=page,
        resources=resources,
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
