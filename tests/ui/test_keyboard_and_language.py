"""Keyboard-only use, English and Russian (Accept-Language and the switch), and the API's
documentation served without any CDN."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.ui.helpers import PASSWORD, new_email, register, tomorrow_in
from tests.ui.pages import Site
from tests.ui.server import UiServer


def _tab_to(page: Page, selector: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_sign_in_hold_and_confirm_with_the_keyboard_only(site: Site) -> None:
    page = site.page
    email = new_email("keys")
    register(site.server, email)
    site.open("/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    _tab_to(page, "#email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    site.expect_flash("You are signed in.")

    site.open(f"/book/1?date={tomorrow_in('Europe/Berlin').isoformat()}")
    _tab_to(page, "button.slot")
    page.keyboard.press("Enter")
    expect(site.heading()).to_have_text("Your hold")
    _tab_to(page, "button[data-confirm]")
    page.keyboard.press("Enter")
    site.expect_flash("Booking confirmed.")


def test_russian_from_accept_language_and_the_switch(browser: Browser, server: UiServer) -> None:
    context = browser.new_context(base_url=server.base_url, locale="ru-RU")
    try:
        site = Site(context.new_page(), server)
        site.open("/")
        expect(site.heading()).to_have_text("Что забронировать")
        assert site.page.get_attribute("html", "lang") == "ru"
        site.open(f"/book/1?date={tomorrow_in('Europe/Berlin').isoformat()}")
        expect(site.page.get_by_text("Время: Europe/Berlin")).to_be_visible()
        expect(
            site.page.get_by_role("button", name=re.compile(r"^Занять \d\d:\d\d"))
        ).not_to_have_count(0)
        site.check("day-ru")
        site.page.get_by_role("button", name="English").click()
        expect(site.page.get_by_text("Times in Europe/Berlin")).to_be_visible()
        site.open("/")  # the choice is remembered
        expect(site.heading()).to_have_text("Find a place to book")
        site.page.get_by_role("button", name="Русский").click()
        expect(site.heading()).to_have_text("Что забронировать")
    finally:
        context.close()


def test_swagger_ui_and_redoc_work_offline(site: Site) -> None:
    outside: list[str] = []
    site.page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(site.server.base_url) else None,
    )
    site.open("/docs")
    # Generous: the bundle (1.5 MB) and the whole schema are parsed first.
    expect(site.page.locator(".swagger-ui .title")).to_contain_text("RoomTime", timeout=30_000)
    expect(site.page.get_by_text("/bookings/hold").first).to_be_visible()
    site.open("/redoc")
    expect(site.page.get_by_role("heading", name=re.compile("RoomTime"))).to_be_visible(
        timeout=30_000
    )
    assert outside == []
