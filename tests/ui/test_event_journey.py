"""Events: a person books seats of an event, sees the countdown to pay and confirms; an admin
creates an event, sees who is coming and cancels it with a reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.ui.helpers import PASSWORD, api, new_email, register, token
from tests.ui.pages import Site

SEEDED = "RoomTime community evening"  # 30 seats, 15 minutes to pay


def test_book_seats_see_the_countdown_and_pay(site: Site) -> None:
    email = new_email("guest")
    register(site.server, email)
    site.sign_in(email, PASSWORD)
    site.open("/browse/events")
    site.page.get_by_label("Search by name").fill("community")
    site.page.get_by_role("button", name="Search").click()
    card = site.page.locator(".event", has_text=SEEDED)
    expect(card).to_contain_text("(UTC)")  # the zone is named
    expect(card).to_contain_text(re.compile(r"\d+ seats left"))
    site.check("events")

    card.get_by_role("link", name=SEEDED).click()
    expect(site.heading()).to_have_text(SEEDED)
    site.check("event")
    site.page.get_by_label("Seats").fill("2")
    site.page.get_by_role("button", name="Book seats").click()

    expect(site.heading()).to_have_text("Your seats")
    expect(site.page.get_by_text("Seats: 2")).to_be_visible()
    shown = site.page.get_by_role("timer").locator("strong")
    first = shown.inner_text()
    assert re.fullmatch(r"1[45]:\d\d", first), first
    expect(shown).not_to_have_text(first, timeout=3_000)  # it counts down
    site.check("event-pending")

    site.page.get_by_role("button", name="Confirm (pay)").click()
    site.expect_flash("Payment confirmed")
    booked = site.page.locator(".booking", has_text=SEEDED).first
    expect(booked).to_contain_text("Confirmed")
    expect(booked.get_by_role("link", name=re.compile("^Change"))).to_have_count(0)


def test_admin_creates_an_event_sees_participants_and_cancels_it(admin_site: Site) -> None:
    site = admin_site
    day = (datetime.now(UTC) + timedelta(days=9)).date().isoformat()
    site.open("/admin/events")
    site.check("admin-events")
    site.page.get_by_label("Name").fill("<b>Quiz night</b>")
    site.page.get_by_label("Location").fill("Hall 3")
    site.page.get_by_label("Day").fill(day)
    site.page.get_by_label("Starts (UTC)").fill("18:00")
    site.page.get_by_label("Ends (UTC)").fill("20:00")
    site.page.get_by_label("Seats (empty for no limit)").fill("10")
    site.page.get_by_role("button", name="Create the event").click()
    site.expect_flash("Event created.")
    expect(site.heading()).to_have_text("<b>Quiz night</b>")  # shown as text, not markup
    expect(site.page.get_by_text("Nobody has booked yet.")).to_be_visible()
    event_id = int(site.page.url.rsplit("/", 1)[1])

    # Someone books three seats meanwhile, through the API.
    guest = new_email("quiz")
    register(site.server, guest)
    booked = api(
        site.server, "POST", f"/events/{event_id}/book", token(site.server, guest, PASSWORD),
        json={"seats": 3},
    )  # fmt: skip
    assert booked.status_code == 201, booked.text
    site.page.reload()
    row = site.page.get_by_role("row", name=re.compile(re.escape(guest)))
    expect(row).to_contain_text("3")
    expect(site.page.get_by_text("7 seats left")).to_be_visible()
    site.check("admin-event")

    site.page.get_by_label("Reason (sent to every participant)").fill("The quizmaster is ill")
    site.page.get_by_role("button", name="Cancel the event").click()
    site.expect_flash("Event cancelled")
    expect(site.page.get_by_text("This event is cancelled")).to_be_visible()
    expect(site.page.get_by_role("button", name="Book seats")).to_have_count(0)
