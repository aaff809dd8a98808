"""Specialists (R-34, R-35): browse them, a specialist's services and free starts of a day,
booking one in one step; for a signed-in specialist their week, services, hours and blocked
times. Times are in the specialist's time zone, named."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from roomtime.web import lookups
from roomtime.web.page_route import PageRoute
from roomtime.web.render import Ui

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 12
WEEK_LIMIT = 100


@router.get("/browse/specialists")
async def browse(request: Request, q: str = "", offset: int = 0) -> Response:
    ui = await Ui.open(request)
    page = await ui.api.get("/specialists", q=q.strip(), limit=PAGE_SIZE, offset=max(offset, 0))
    return ui.page(
        "specialists/browse.html",
        title=ui.t("specialists_title"),
        page=page,
        q=q,
        links=lookups.page_links(page),
    )


@router.get("/browse/specialists/{specialist_id}")
async def specialist_page(
    request: Request, specialist_id: int, service_id: str = "", date: str = ""
) -> Response:
    ui = await Ui.open(request)
    specialist = await ui.api.get(f"/specialists/{specialist_id}")
    offered = (await ui.api.get(f"/specialists/{specialist_id}/services", limit=100))["items"]
    today = lookups.today_in(specialist["timezone"], ui)
    day = lookups.parse_day(date) or today
    chosen = next((s for s in offered if str(s["id"]) == service_id), None)
    slots: list[dict[str, Any]] = []
    if chosen is not None:
        found = await ui.api.get(
            f"/specialists/{specialist_id}/slots", date=day.isoformat(), service_id=chosen["id"]
        )
        slots = found["slots"]
    return ui.page(
        "specialists/specialist.html",
        title=specialist["display_name"],
        specialist=specialist,
        services=offered,
        chosen=chosen,
        day=day,
        today=today,
        slots=slots,
    )


@router.post("/browse/specialists/{specialist_id}/book")
async def book(request: Request, specialist_id: int) -> Response:
    ui, form = await Ui.form(request, f"/browse/specialists/{specialist_id}")
    service = form.get("service_id", "")
    if service.isdigit() and lookups.parse_day(form.get("date")):
        ui.back = f"/browse/specialists/{specialist_id}?service_id={service}&date={form['date']}"
    body = {
        "service_id": int(service) if service.isdigit() else service,
        "starts_at": form.get("starts_at", ""),
    }
    await ui.api.call("POST", "/bookings", json=body)
    return ui.redirect("/my/bookings", ok=ui.t("booked"))


# The specialist's own pages -------------------------------------------------------------


def _at(day: str, clock: str, zone: str) -> str:
    """A local date and time of the specialist's zone as an instant, or '' (the API says
    what is missing)."""
    parsed = lookups.parse_day(day)
    try:
        at = time.fromisoformat(clock)
    except ValueError:
        return ""
    if parsed is None:
        return ""
    return datetime.combine(parsed, at, ZoneInfo(zone)).isoformat()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@router.get("/my/calendar")
async def calendar(request: Request, week: str = "") -> Response:
    ui = await Ui.open(request, signed_in=True)
    me = await ui.api.get("/specialists/me")
    start = _monday(lookups.parse_day(week) or lookups.today_in(me["timezone"], ui))
    end = start + timedelta(days=6)
    page = await ui.api.get(
        "/bookings/specialists/me",
        date_from=start.isoformat(),
        date_to=end.isoformat(),
        limit=WEEK_LIMIT,
        sort="starts_at",
    )
    zone = ZoneInfo(me["timezone"])
    days: list[tuple[date, list[dict[str, Any]]]] = [
        (start + timedelta(days=n), []) for n in range(7)
    ]
    for booking in page["items"]:
        local_day = datetime.fromisoformat(booking["starts_at"]).astimezone(zone).date()
        if start <= local_day <= end:
            days[(local_day - start).days][1].append(booking)
    return ui.page(
        "specialists/calendar.html",
        title=ui.t("nav_my_calendar"),
        me=me,
        days=days,
        week=start,
        prev_week=start - timedelta(days=7),
        next_week=start + timedelta(days=7),
    )


@router.post("/my/calendar/{action}")
async def block(request: Request, action: str) -> Response:
    ui, form = await Ui.form(request, "/my/calendar")
    if action not in ("block", "unblock"):
        return ui.redirect("/my/calendar", error=ui.t("no_such_page"))
    me = await ui.api.get("/specialists/me")
    day = form.get("date", "")
    if lookups.parse_day(day):
        ui.back = f"/my/calendar?week={day}"
    body = {
        "starts_at": _at(day, form.get("starts", ""), me["timezone"]),
        "ends_at": _at(day, form.get("ends", ""), me["timezone"]),
    }
    changed = (await ui.api.call("POST", f"/specialists/me/slots/{action}", json=body)).json()
    key = "slots_blocked" if action == "block" else "slots_unblocked"
    return ui.redirect(ui.back, ok=ui.t(key, n=changed["changed"]))


@router.get("/my/services")
async def services(request: Request) -> Response:
    ui = await Ui.open(request, signed_in=True)
    me = await ui.api.get("/specialists/me")
    mine = await ui.api.get("/specialists/me/services", limit=100)
    return ui.page(
        "specialists/services.html",
        title=ui.t("my_services"),
        me=me,
        services=mine["items"],
    )


def _service_body(form: dict[str, str]) -> dict[str, Any]:
    duration = form.get("duration_minutes", "").strip()
    price = form.get("price", "").strip().replace(",", ".")
    body: dict[str, Any] = {
        "name": form.get("name", ""),
        "duration_minutes": int(duration) if duration.isdigit() else duration,
        "price_cents": None,
    }
    if price:
        try:
            body["price_cents"] = round(float(price) * 100)
        except ValueError:
            body["price_cents"] = price  # the API names the field that is wrong
    return body


@router.post("/my/services")
async def create_service(request: Request) -> Response:
    ui, form = await Ui.form(request, "/my/services")
    body = {k: v for k, v in _service_body(form).items() if v is not None}
    await ui.api.call("POST", "/specialists/me/services", json=body)
    return ui.redirect("/my/services", ok=ui.t("service_created"))


@router.post("/my/services/{service_id}")
async def edit_service(request: Request, service_id: int) -> Response:
    ui, form = await Ui.form(request, "/my/services")
    await ui.api.call("PATCH", f"/specialists/me/services/{service_id}", json=_service_body(form))
    return ui.redirect("/my/services", ok=ui.t("saved"))


@router.post("/my/services/{service_id}/active")
async def set_active(request: Request, service_id: int) -> Response:
    ui, form = await Ui.form(request, "/my/services")
    active = form.get("is_active") == "true"
    await ui.api.call("PATCH", f"/specialists/me/services/{service_id}", json={"is_active": active})
    return ui.redirect("/my/services", ok=ui.t("saved" if active else "service_retired"))


@router.get("/my/hours")
async def hours(request: Request) -> Response:
    ui = await Ui.open(request, signed_in=True)
    me = await ui.api.get("/specialists/me")
    by_day = {h["weekday"]: h for h in me["opening_hours"]}
    return ui.page("specialists/hours.html", title=ui.t("my_hours"), me=me, by_day=by_day)


@router.post("/my/hours")
async def save_hours(request: Request) -> Response:
    ui, form = await Ui.form(request, "/my/hours")
    items = [
        {
            "weekday": day,
            "opens": form.get(f"opens_{day}", ""),
            "closes": form.get(f"closes_{day}", ""),
        }
        for day in range(7)
        if form.get(f"open_{day}") == "on"
    ]
    await ui.api.call("PUT", "/specialists/me/hours", json={"opening_hours": items})
    return ui.redirect("/my/hours", ok=ui.t("saved"))
