"""Admin: resources (list, create, edit, deactivate, image) and their slots (block, unblock)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from roomtime.web import lookups, session
from roomtime.web.page_route import PageRoute
from roomtime.web.render import CsrfRefusedError, Ui
from roomtime.web.resource_form import body_from, local_range, single_interval_hours

router = APIRouter(prefix="/admin/resources", include_in_schema=False, route_class=PageRoute)
# The image form posts its file here; main.py lets this route stream past the JSON body cap
# (the API enforces MAX_UPLOAD_BYTES while reading it).
IMAGE_PATH = "/admin/resources/{resource_id}/image"
PAGE_SIZE = 20
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
)


@router.get("")
async def list_page(request: Request, q: str = "", offset: int = 0) -> Response:
    ui = await Ui.open(request, signed_in=True)
    page = await ui.api.get(
        "/resources", q=q.strip(), include_inactive="true", limit=PAGE_SIZE, offset=max(offset, 0)
    )
    return ui.page(
        "admin/resources.html",
        title=ui.t("nav_admin_resources"),
        page=page,
        q=q,
        links=lookups.page_links(page),
    )


@router.get("/new")
async def new_page(request: Request) -> Response:
    ui = await Ui.open(request, signed_in=True)
    return ui.page(
        "admin/resource_form.html",
        title=ui.t("new_resource"),
        resource=None,
        hours=single_interval_hours(None),
        zones=ZONES,
    )


@router.post("/new")
async def create(request: Request) -> Response:
    ui, form = await Ui.form(request, "/admin/resources/new")
    created = (
        await ui.api.call("POST", "/resources", json=body_from(form, with_hours=True))
    ).json()
    return ui.redirect(f"/admin/resources/{created['id']}", ok=ui.t("saved"))


@router.get("/{resource_id}")
async def edit_page(request: Request, resource_id: int, date: str = "") -> Response:
    ui = await Ui.open(request, signed_in=True)
    resource = await ui.api.get(f"/resources/{resource_id}")
    day = lookups.parse_day(date) or lookups.today_in(resource["timezone"], ui)
    free = await ui.api.get(f"/resources/{resource_id}/availability", date=day.isoformat())
    return ui.page(
        "admin/resource_form.html",
        title=resource["name"],
        resource=resource,
        hours=single_interval_hours(resource),
        zones=ZONES,
        day=day,
        slots=free["slots"],
    )


@router.post("/{resource_id}")
async def update(request: Request, resource_id: int) -> Response:
    ui, form = await Ui.form(request, f"/admin/resources/{resource_id}")
    body = body_from(form, with_hours=form.get("hours_editable") == "1")
    if form.get("is_active") == "1":
        body["is_active"] = True
    await ui.api.call("PUT", f"/resources/{resource_id}", json=body)
    return ui.redirect(f"/admin/resources/{resource_id}", ok=ui.t("saved"))


@router.post("/{resource_id}/deactivate")
async def deactivate(request: Request, resource_id: int) -> Response:
    ui, _ = await Ui.form(request, f"/admin/resources/{resource_id}")
    await ui.api.call("DELETE", f"/resources/{resource_id}")
    return ui.redirect(f"/admin/resources/{resource_id}", ok=ui.t("deactivated"))


@router.post("/{resource_id}/slots/{action}")
async def block_or_unblock(request: Request, resource_id: int, action: str) -> Response:
    back = f"/admin/resources/{resource_id}"
    ui, form = await Ui.form(request, back)
    if action not in ("block", "unblock"):
        return ui.redirect(back)
    ui.back = f"{back}?date={form.get('date', '')}"
    resource = await ui.api.get(f"/resources/{resource_id}")
    span = local_range(
        form.get("date", ""), form.get("from", ""), form.get("to", ""), resource["timezone"]
    )
    changed = (
        await ui.api.call("POST", f"/resources/{resource_id}/slots/{action}", json=span)
    ).json()["changed"]
    return ui.redirect(ui.back, ok=ui.t(f"slots_{action}ed", n=changed))


@router.post("/{resource_id}/image")
async def upload_image(request: Request, resource_id: int, csrf_token: str = "") -> Response:
    # The file is streamed to the API as it arrives, so the CSRF token comes in the query.
    back = f"/admin/resources/{resource_id}"
    ui = Ui(request)
    ui.back = back
    if not session.csrf_ok(request, csrf_token):
        raise CsrfRefusedError
    await ui.load_user(signed_in=True)
    content_type = request.headers.get("content-type", "")
    await ui.api.call(
        "POST",
        f"/resources/{resource_id}/file",
        content=request.stream(),
        headers={"content-type": content_type},
    )
    return ui.redirect(back, ok=ui.t("image_uploaded"))
