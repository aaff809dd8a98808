"""Sign in and out, register, confirm an email address, forgot and reset a password, and the
language switch. The mails' links (`/verify?token=…`, `/reset?token=…`) land here."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from roomtime.web import session
from roomtime.web.api_client import ApiProblemError
from roomtime.web.page_route import PageRoute
from roomtime.web.render import Ui, safe_next

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/login")
async def login_page(
    request: Request, next_path: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    ui = await Ui.open(request)
    return ui.page("login.html", title=ui.t("sign_in"), next=safe_next(next_path))


@router.post("/login")
async def login(request: Request) -> Response:
    ui, form = await Ui.form(request, "/login", signed_in=False)
    target = safe_next(form.get("next"))
    ui.back = "/login?next=" + quote(target, safe="") if target != "/" else "/login"
    body = {"email": form.get("email", ""), "password": form.get("password", "")}
    response = await ui.api.call("POST", "/auth/login", json=body, auth=False)
    pair = response.json()
    ui.api.tokens.access, ui.api.tokens.refresh = pair["access_token"], pair["refresh_token"]
    ui.api.tokens.changed = True
    redirect = ui.redirect(target, ok=ui.t("signed_in"))
    device = response.cookies.get("roomtime_device")
    if device:
        session.write_device(redirect, request, device, 365 * 24 * 3600)
    return redirect


@router.post("/logout")
async def logout(request: Request) -> Response:
    ui, _ = await Ui.form(request, "/", signed_in=False)
    if ui.api.tokens.refresh:
        await ui.api.call(
            "POST", "/auth/logout", json={"refresh_token": ui.api.tokens.refresh}, auth=False
        )
    ui.api.tokens.access = ui.api.tokens.refresh = None
    ui.api.tokens.changed = True
    return ui.redirect("/", ok=ui.t("signed_out"))


@router.get("/register")
async def register_page(request: Request) -> Response:
    ui = await Ui.open(request)
    return ui.page("register.html", title=ui.t("register"))


@router.post("/register")
async def register(request: Request) -> Response:
    ui, form = await Ui.form(request, "/register", signed_in=False)
    body = {"email": form.get("email", ""), "password": form.get("password", "")}
    if form.get("full_name", "").strip():
        body["full_name"] = form["full_name"]
    await ui.api.call("POST", "/auth/register", json=body, auth=False)
    return ui.redirect("/login", ok=ui.t("registered"))


@router.get("/verify")
async def verify_page(request: Request, token: str = "") -> Response:
    ui = await Ui.open(request)
    return ui.page("verify.html", title=ui.t("verify_title"), token=token)


@router.post("/verify")
async def verify(request: Request) -> Response:
    ui, form = await Ui.form(request, "/verify", signed_in=False)
    await ui.api.call("POST", "/auth/verify", json={"token": form.get("token", "")}, auth=False)
    return ui.redirect("/" if ui.user else "/login", ok=ui.t("verified"))


@router.get("/forgot")
async def forgot_page(request: Request) -> Response:
    ui = await Ui.open(request)
    return ui.page("forgot.html", title=ui.t("forgot_title"))


@router.post("/forgot")
async def forgot(request: Request) -> Response:
    ui, form = await Ui.form(request, "/forgot", signed_in=False)
    await ui.api.call("POST", "/auth/forgot", json={"email": form.get("email", "")}, auth=False)
    return ui.redirect("/login", ok=ui.t("forgot_sent"))


@router.get("/reset")
async def reset_page(request: Request, token: str = "") -> Response:
    ui = await Ui.open(request)
    return ui.page("reset.html", title=ui.t("reset_title"), token=token)


@router.post("/reset")
async def reset(request: Request) -> Response:
    ui, form = await Ui.form(request, "/forgot", signed_in=False)
    token = form.get("token", "")
    body = {"token": token, "new_password": form.get("new_password", "")}
    try:
        await ui.api.call("POST", "/auth/reset", json=body, auth=False)
    except ApiProblemError as problem:
        # Shown on the form itself, which keeps the token: a too-short password is retried
        # without asking for a new mail.
        return ui.page(
            "reset.html",
            http_status=problem.status,
            title=ui.t("reset_title"),
            token=token,
            error=ui.problem_text(problem),
        )
    return ui.redirect("/login", ok=ui.t("reset_done"))


@router.post("/language")
async def language(request: Request) -> Response:
    ui, form = await Ui.form(request, "/", signed_in=False)
    response = ui.redirect(safe_next(form.get("next")))
    if form.get("lang") in ("en", "ru"):
        session.write_language(response, request, form["lang"])
    return response
