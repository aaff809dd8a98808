"""In-app notifications (R-37): the list (unread only on request), ack one, ack all. The
unread count in the header comes with every page (render.Ui.load_user)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from roomtime.web import lookups
from roomtime.web.page_route import PageRoute
from roomtime.web.render import Ui

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 20
# The API's links name its own paths; these are the pages showing the same thing.
_PAGES = (("/bookings/", "/my/bookings"), ("/events/", "/browse/events/"))


def page_for(cta_url: str | None) -> str | None:
    """The UI page for a notification's link, or None when the UI has none for it."""
    if not cta_url or not cta_url.startswith("/") or cta_url.startswith("//"):
        return None
    for api_prefix, page in _PAGES:
        if cta_url.startswith(api_prefix):
            rest = cta_url[len(api_prefix) :]
            return page + rest if page.endswith("/") else page
    return None


@router.get("/my/notifications")
async def notifications(request: Request, unread: str = "", offset: int = 0) -> Response:
    ui = await Ui.open(request, signed_in=True)
    only_unread = unread == "1"
    page = await ui.api.get(
        "/notifications",
        unread="true" if only_unread else None,
        limit=PAGE_SIZE,
        offset=max(offset, 0),
    )
    return ui.page(
        "notifications/list.html",
        title=ui.t("nav_notifications"),
        page=page,
        only_unread=only_unread,
        page_for=page_for,
        links=lookups.page_links(page),
    )


@router.post("/my/notifications/ack-all")
async def ack_all(request: Request) -> Response:
    ui, _ = await Ui.form(request, "/my/notifications")
    await ui.api.call("POST", "/notifications/ack-all")
    return ui.redirect("/my/notifications", ok=ui.t("all_read"))


@router.post("/my/notifications/{notification_id}/ack")
async def ack(request: Request, notification_id: int) -> Response:
    ui, form = await Ui.form(request, "/my/notifications")
    await ui.api.call("POST", f"/notifications/{notification_id}/ack")
    back = "/my/notifications?unread=1" if form.get("unread") == "1" else "/my/notifications"
    return ui.redirect(back, ok=ui.t("marked_read"))
