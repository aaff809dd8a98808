"""Page objects: what a person does on each page, by the labels and texts they see."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

from tests.ui.browser import check_page
from tests.ui.server import UiServer


@dataclass
class Site:
    page: Page
    server: UiServer

    # Whole site -----------------------------------------------------------------------

    def open(self, path: str) -> Site:
        self.page.goto(path)
        return self

    def check(self, name: str) -> None:
        check_page(self.page, name)

    def flash(self) -> Locator:
        return self.page.locator(".flash")

    def expect_flash(self, text: str | re.Pattern[str]) -> None:
        expect(self.flash()).to_contain_text(text)

    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    # Account --------------------------------------------------------------------------

    def sign_in(self, email: str, password: str, *, path: str = "/login") -> None:
        self.page.goto(path)
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("main").get_by_role("button", name="Sign in").click()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()

    def register(self, email: str, password: str, full_name: str = "") -> None:
        self.page.goto("/register")
        self.page.get_by_label("Full name").fill(full_name)
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("New password").fill(password)
        self.page.get_by_role("main").get_by_role("button", name="Create an account").click()

    # Booking --------------------------------------------------------------------------

    def search(self, text: str) -> None:
        self.page.goto("/")
        self.page.get_by_label("Search by name").fill(text)
        self.page.get_by_role("button", name="Search").click()

    def open_day(self, resource_name: str, day: str) -> None:
        self.page.get_by_role("link", name=resource_name).click()
        self.page.get_by_label("Day", exact=True).fill(day)
        self.page.get_by_role("button", name="Show").click()

    def slot_buttons(self) -> Locator:
        return self.page.get_by_role("button", name=re.compile(r"^Hold \d\d:\d\d"))

    def hold(self, time_text: str) -> None:
        self.page.get_by_role("button", name=f"Hold {time_text}").click()

    def countdown(self) -> Locator:
        return self.page.get_by_role("timer")
