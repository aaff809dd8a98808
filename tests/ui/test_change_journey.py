"""Changing a confirmed booking: pick a new free range of the same resource on a day; a
range taken meanwhile gets the API's own reason and leaves the booking as it was."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.ui.helpers import PASSWORD, api, new_email, register, resource_named, token, tomorrow_in
from tests.ui.pages import Site

ROOM = "Meeting room Aurora"  # seeded, Europe/Berlin


def _range(hour: int) -> dict[str, str]:
    day = tomorrow_in("Europe/Berlin")
    zone = ZoneInfo("Europe/Berlin")
    starts = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
    ends = datetime(day.year, day.month, day.day, hour + 1, tzinfo=zone)
    return {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}


def test_move_a_booking_and_hear_why_a_taken_range_fails(site: Site) -> None:
    me, rival = new_email("mover"), new_email("rival")
    register(site.server, me)
    register(site.server, rival)
    room = resource_named(site.server, ROOM)
    made = api(
        site.server, "POST", "/bookings", token(site.server, me, PASSWORD),
        json={"resource_id": room["id"], **_range(8)},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    site.sign_in(me, PASSWORD)
    site.open("/my/bookings")
    site.page.get_by_role("link", name=re.compile(rf"^Change\W+{ROOM}")).click()
    expect(site.heading()).to_have_text("Change a booking")
    site.check("change-booking")

    site.page.get_by_label("From").select_option(label="12:00")
    site.page.get_by_label("To").select_option(label="13:00")
    site.page.get_by_role("button", name="Move the booking").click()
    site.expect_flash("Booking changed.")
    card = site.page.locator(".booking", has_text=ROOM).first
    expect(card).to_contain_text("12:00–13:00 (Europe/Berlin)")

    card.get_by_role("link", name=re.compile(rf"^Change\W+{ROOM}")).click()
    # While the page is open, someone else holds 15:00 through the API.
    taken = api(
        site.server, "POST", "/bookings/hold", token(site.server, rival, PASSWORD),
        json={"resource_id": room["id"], **_range(15)},
    )  # fmt: skip
    assert taken.status_code == 201, taken.text
    site.page.get_by_label("From").select_option(label="15:00")
    site.page.get_by_label("To").select_option(label="16:00")
    site.page.get_by_role("button", name="Move the booking").click()
    expect(site.page.get_by_role("alert")).to_contain_text(
        re.compile("not available|overlaps|held|booked")
    )
    expect(site.heading()).to_have_text("Change a booking")
    expect(site.page.get_by_text(re.compile(r"Booked now: .*12:00–13:00"))).to_be_visible()
