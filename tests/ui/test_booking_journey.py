"""A person finds a room, holds a time with a visible countdown, confirms it, sees it in
their bookings and cancels it; and hears the API's own words when something goes wrong."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.ui.helpers import (
    PASSWORD,
    admin_token,
    api,
    new_email,
    register,
    resource_named,
    token,
    tomorrow_in,
)
from tests.ui.pages import Site

ROOM = "Meeting room Aurora"  # seeded, Europe/Berlin


def test_browse_hold_confirm_see_and_cancel(site: Site) -> None:
    email = new_email("booker")
    register(site.server, email)
    site.sign_in(email, PASSWORD)
    site.expect_flash("You are signed in.")

    site.search("Aurora")
    expect(site.page.get_by_role("link", name=ROOM)).to_be_visible()
    expect(site.page.get_by_role("link", name="Recording studio")).to_have_count(0)
    site.check("browse")

    day = tomorrow_in("Europe/Berlin")
    site.open_day(ROOM, day.isoformat())
    expect(site.page.get_by_text("Times in Europe/Berlin")).to_be_visible()
    expect(site.slot_buttons().first).to_be_visible()
    site.check("day")

    site.hold("10:00–11:00")
    expect(site.heading()).to_have_text("Your hold")
    expect(site.page.get_by_text(re.compile(r"10:00–11:00 \(Europe/Berlin\)"))).to_be_visible()
    shown = site.countdown().locator("strong")
    first = shown.inner_text()
    assert re.fullmatch(r"[45]:\d\d", first), first  # the seeded room holds for 5 minutes
    expect(shown).not_to_have_text(first, timeout=3_000)  # it counts down
    site.check("hold")

    site.page.get_by_role("button", name="Confirm the booking").click()
    site.expect_flash("Booking confirmed.")
    card = site.page.locator(".booking", has_text=ROOM).first
    expect(card).to_contain_text("Confirmed")
    expect(card).to_contain_text("10:00–11:00 (Europe/Berlin)")
    site.check("my-bookings")

    card.get_by_role("button", name="Cancel this booking").click()
    site.expect_flash("Booking cancelled.")
    expect(site.page.locator(".booking", has_text=ROOM).first).to_contain_text("Cancelled")


def test_a_slot_taken_meanwhile_shows_the_apis_reason(site: Site) -> None:
    me, rival = new_email("slow"), new_email("quick")
    register(site.server, me)
    register(site.server, rival)
    site.sign_in(me, PASSWORD)
    day = tomorrow_in("Europe/Berlin")
    site.open("/")
    site.open_day(ROOM, day.isoformat())
    expect(site.slot_buttons().first).to_be_visible()
    # While the page is open, someone else holds 14:00 through the API.
    room = resource_named(site.server, ROOM)
    taken = api(
        site.server, "POST", "/bookings/hold", token(site.server, rival, PASSWORD),
        json={
            "resource_id": room["id"],
            "starts_at": f"{day.isoformat()}T14:00:00+01:00",
            "ends_at": f"{day.isoformat()}T15:00:00+01:00",
        },
    )  # fmt: skip
    assert taken.status_code == 201, taken.text
    site.hold("14:00–15:00")
    expect(site.page.get_by_role("alert")).to_contain_text(re.compile("not available|held|booked"))
    expect(site.heading()).to_have_text(ROOM)  # back on the day, which no longer offers 14:00
    expect(site.page.get_by_role("button", name="Hold 14:00–15:00")).to_have_count(0)


def test_an_expired_hold_cannot_be_confirmed(site: Site) -> None:
    admin = admin_token(site.server)
    created = api(
        site.server, "POST", "/resources", admin,
        json={"name": "Quick room", "location": "Annex", "capacity": 2, "hold_ttl_seconds": 2},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    email = new_email("late")
    register(site.server, email)
    site.sign_in(email, PASSWORD)
    site.open(f"/book/{created.json()['id']}?date={tomorrow_in('UTC').isoformat()}")
    site.hold("09:00–10:00")
    expect(site.countdown()).to_be_visible()
    # The countdown reaches zero in the page: it says so and the button is disabled.
    expect(site.page.get_by_text("This hold has expired.")).to_be_visible(timeout=5_000)
    expect(site.page.get_by_role("button", name="Confirm the booking")).to_be_disabled()
    # A form sent anyway (an old tab, no script) gets the API's answer.
    time.sleep(0.5)
    site.page.evaluate(
        "() => { const b = document.querySelector('[data-confirm]'); b.disabled = false; b.click(); }"
    )
    expect(site.page.get_by_role("alert")).to_contain_text(re.compile("expired", re.I))


def test_seats_of_a_shared_class_for_a_party(site: Site) -> None:
    email = new_email("party")
    register(site.server, email)
    site.sign_in(email, PASSWORD)
    site.search("yoga")
    site.open_day("Morning yoga class", tomorrow_in("UTC").isoformat())
    expect(site.page.get_by_text("12 seats left").first).to_be_visible()
    site.page.get_by_label("Party size").first.fill("3")
    site.slot_buttons().first.click()
    expect(site.heading()).to_have_text("Your hold")
    expect(site.page.get_by_text("Party size: 3")).to_be_visible()
    site.page.get_by_role("button", name="Confirm the booking").click()
    site.expect_flash("Booking confirmed.")
    site.open(
        f"/book/{resource_named(site.server, 'Morning yoga class')['id']}"
        f"?date={tomorrow_in('UTC').isoformat()}"
    )
    expect(site.page.get_by_text("9 seats left").first).to_be_visible()
