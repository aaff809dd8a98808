"""Specialists: a person books a service in one step from the free starts of a day; the
specialist sees it in their week and manages a service, their hours and blocked times."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.ui.helpers import PASSWORD, new_email, register, tomorrow_in
from tests.ui.pages import Site

SPECIALIST = "Sam Rivera — barber"  # seeded: Europe/Berlin, Mon–Sat 09:00–18:00
SPECIALIST_EMAIL = "specialist@roomtime.local"
SPECIALIST_PASSWORD = "roomtime-specialist"


def _working_day() -> date:
    day = tomorrow_in("Europe/Berlin")
    return day + timedelta(days=1) if day.weekday() == 6 else day


def test_book_a_service_in_one_step(site: Site) -> None:
    email = new_email("client")
    register(site.server, email)
    site.sign_in(email, PASSWORD)
    site.open("/browse/specialists")
    site.check("specialists")
    site.page.get_by_role("link", name=SPECIALIST).click()
    expect(site.page.get_by_text("Times in Europe/Berlin")).to_be_visible()
    site.page.get_by_label("Service").select_option(label="Haircut (30 min)")
    site.page.get_by_label("Day", exact=True).fill(_working_day().isoformat())
    site.page.get_by_role("button", name="Show free starts").click()
    expect(site.page.get_by_role("button", name="Book 10:00–10:30")).to_be_visible()
    site.check("specialist")

    site.page.get_by_role("button", name="Book 10:00–10:30").click()
    site.expect_flash("Booked.")
    card = site.page.locator(".booking", has_text="10:00–10:30 (Europe/Berlin)").first
    expect(card).to_contain_text("Confirmed")
    # The same start again, from a page still showing it: the API's refusal, nothing booked.
    site.page.go_back()
    site.page.reload()
    expect(site.page.get_by_role("button", name="Book 10:00–10:30")).to_have_count(0)


def test_the_specialist_manages_services_hours_and_blocked_times(site: Site) -> None:
    site.sign_in(SPECIALIST_EMAIL, SPECIALIST_PASSWORD)
    site.page.get_by_role("link", name="My calendar").click()
    expect(site.heading()).to_have_text("My calendar")
    expect(site.page.get_by_text("Times in Europe/Berlin")).to_be_visible()
    site.check("specialist-calendar")

    day = _working_day().isoformat()
    site.page.get_by_label("Day", exact=True).fill(day)
    site.page.get_by_label("From", exact=True).fill("12:00")
    site.page.get_by_label("To", exact=True).fill("13:00")
    site.page.get_by_role("button", name="Block", exact=True).click()
    site.expect_flash("2 slots blocked.")
    site.page.get_by_label("Day", exact=True).fill(day)
    site.page.get_by_label("From", exact=True).fill("12:00")
    site.page.get_by_label("To", exact=True).fill("13:00")
    site.page.get_by_role("button", name="Unblock").click()
    site.expect_flash("2 slots unblocked.")

    site.page.get_by_role("link", name="My services").click()
    site.page.get_by_label("Name").last.fill("Beard trim")
    site.page.get_by_label("Duration (minutes)").last.fill("45")
    site.page.get_by_role("button", name="Add the service").click()
    expect(site.page.get_by_role("alert")).to_contain_text(re.compile("slot|grid|30", re.I))
    site.page.get_by_label("Name").last.fill("Beard trim")
    site.page.get_by_label("Duration (minutes)").last.fill("30")
    site.page.get_by_label("Price").last.fill("12.50")
    site.page.get_by_role("button", name="Add the service").click()
    site.expect_flash("Service added.")
    card = site.page.locator(".service", has_text="Beard trim")
    card.get_by_label("Duration (minutes)").fill("60")
    card.get_by_role("button", name="Save Beard trim").click()
    site.expect_flash("Saved.")
    card = site.page.locator(".service", has_text="Beard trim")
    expect(card.get_by_label("Duration (minutes)")).to_have_value("60")
    expect(card.get_by_label("Price")).to_have_value("12.50")
    site.check("specialist-services")
    card.get_by_role("button", name="Stop offering Beard trim").click()
    site.expect_flash("no longer offered")
    expect(site.page.locator(".service", has_text="Beard trim")).to_contain_text("Not offered")

    site.page.get_by_role("link", name="My hours").click()
    expect(site.page.get_by_label("Open on Sun")).not_to_be_checked()
    site.page.get_by_label("Closes on Sat").fill("14:00")
    site.page.get_by_role("button", name="Save the hours").click()
    site.expect_flash("Saved.")
    expect(site.page.get_by_label("Closes on Sat")).to_have_value("14:00")
    site.check("specialist-hours")
