"""Browse and search resources, a resource's day with its free slots, and holding one."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from roomtime.web import lookups
from roomtime.web.api_client import ApiProblemError
from roomtime.web.page_route import PageRoute
from roomtime.web.render import Ui

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 12


@router.get("/")
async def home(request: Request, q: str = "", min_capacity: str = "", offset: int = 0) -> Response:
    ui = await Ui.open(request)
    capacity = min_capacity if min_capacity.isdigit() else None
    page = await ui.api.get(
        "/resources", q=q.strip(), min_capacity=capacity, limit=PAGE_SIZE, offset=max(offset, 0)
    )
    return ui.page(
        "browse.html",
        title=ui.t("browse_title"),
        page=page,
        q=q,
        min_capacity=capacity or "",
        links=lookups.page_links(page),
    )


@router.get("/book/{resource_id}")
async def day_view(request: Request, resource_id: int, date: str | None = None) -> Response:
    ui = await Ui.open(request)
    resource = await ui.api.get(f"/resources/{resource_id}")
    today = lookups.today_in(resource["timezone"], ui)
    day = lookups.parse_day(date) or today
    availability = await ui.api.get(f"/resources/{resource_id}/availability", date=day.isoformat())
    return ui.page(
        "day.html",
        title=resource["name"],
        resource=resource,
        day=day,
        today=today,
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        slots=availability["slots"],
    )


@router.post("/book/{resource_id}/hold")
async def hold(request: Request, resource_id: int) -> Response:
    back = f"/book/{resource_id}"
    ui, form = await Ui.form(request, back)
    if lookups.parse_day(form.get("date")):
        ui.back = f"{back}?date={form['date']}"
    party = form.get("party_size", "1")
    body = {
        "resource_id": resource_id,
        "starts_at": form.get("starts_at", ""),
        "ends_at": form.get("ends_at", ""),
        "party_size": int(party) if party.isdigit() else party,
    }
    held = (await ui.api.call("POST", "/bookings/hold", json=body)).json()
    return ui.redirect(f"/my/holds/{held['booking_id']}")


@router.get("/my/holds/{booking_id}")
async def hold_page(request: Request, booking_id: int) -> Response:
    ui = await Ui.open(request, signed_in=True)
    booking = await lookups.my_pending(ui, booking_id)
    if booking is None:
        return ui.redirect("/my/bookings", error=ui.t("hold_gone"))
    resource = (await lookups.resources_by_id(ui, [booking["resource_id"]]))[booking["resource_id"]]
    remaining = lookups.seconds_left(booking, ui)
    return ui.page(
        "hold.html",
        title=ui.t("hold_title"),
        booking=booking,
        resource=resource,
        remaining=remaining,
    )


@router.post("/my/holds/{booking_id}/confirm")
async def confirm(request: Request, booking_id: int) -> Response:
    ui, form = await Ui.form(request, f"/my/holds/{booking_id}")
    key = form.get("idempotency_key", "")
    headers = {"Idempotency-Key": key} if key else None
    try:
        await ui.api.call(
            "POST", "/bookings/confirm", json={"hold_id": booking_id}, headers=headers
        )
    except ApiProblemError as problem:
        if problem.status != 409:
            raise
        # The hold is gone (expired or taken): its page no longer exists, so say it on the list.
        return ui.redirect("/my/bookings", error=ui.problem_text(problem))
    return ui.redirect("/my/bookings", ok=ui.t("confirmed"))
