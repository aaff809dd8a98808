"""Admin: accounts (role, deactivate), the audit log with its filters, and the utilisation
report with its chart."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from roomtime.web import chart, lookups
from roomtime.web.page_route import PageRoute
from roomtime.web.render import Ui

router = APIRouter(prefix="/admin", include_in_schema=False, route_class=PageRoute)
ROLES = ("user", "admin")
PAGE_SIZE = 20
REPORT_PAGES = 10  # at most 1,000 report rows feed one chart


@router.get("/users")
async def users_page(request: Request, role: str = "", offset: int = 0) -> Response:
    ui = await Ui.open(request, signed_in=True)
    chosen = role if role in ROLES else None
    page = await ui.api.get("/users", role=chosen, limit=PAGE_SIZE, offset=max(offset, 0))
    return ui.page(
        "admin/users.html",
        title=ui.t("nav_admin_users"),
        page=page,
        roles=ROLES,
        role=chosen or "",
        links=lookups.page_links(page),
    )


@router.post("/users/{user_id}")
async def update_user(request: Request, user_id: int) -> Response:
    ui, form = await Ui.form(request, "/admin/users")
    body: dict[str, object] = {}
    if form.get("role"):
        body["role"] = form["role"]
    if form.get("is_active") in ("true", "false"):
        body["is_active"] = form["is_active"] == "true"
    await ui.api.call("PATCH", f"/users/{user_id}", json=body)
    return ui.redirect("/admin/users", ok=ui.t("saved"))


@router.get("/audit")
async def audit_page(
    request: Request,
    entity: str = "",
    entity_id: str = "",
    actor_user_id: str = "",
    action: str = "",
    offset: int = 0,
) -> Response:
    ui = await Ui.open(request, signed_in=True)
    filters = {
        "entity": entity.strip(),
        "entity_id": entity_id.strip(),
        "actor_user_id": actor_user_id.strip(),
        "action": action.strip(),
    }
    page = await ui.api.get("/audit", **filters, limit=PAGE_SIZE, offset=max(offset, 0))
    return ui.page(
        "admin/audit.html",
        title=ui.t("nav_admin_audit"),
        page=page,
        filters=filters,
        links=lookups.page_links(page),
    )


@router.get("/report")
async def report_page(
    request: Request, date_from: str = "", date_to: str = "", resource_id: str = ""
) -> Response:
    ui = await Ui.open(request, signed_in=True)
    query = {"date_from": date_from, "date_to": date_to, "resource_id": resource_id}
    rows: list[dict[str, object]] = []
    for index in range(REPORT_PAGES):
        page = await ui.api.get("/reports/utilization", **query, limit=100, offset=index * 100)
        rows.extend(page["items"])
        if len(rows) >= page["total"]:
            break
    resources = await ui.api.get("/resources", include_inactive="true", limit=100)
    names = {r["id"]: r["name"] for r in resources["items"]}
    drawn = chart.by_day(rows) if resource_id else chart.by_resource(rows, names)
    return ui.page(
        "admin/report.html",
        title=ui.t("nav_admin_report"),
        chart=drawn,
        query=query,
        resources=resources["items"],
        by_day=bool(resource_id),
        rows=len(rows),
    )
