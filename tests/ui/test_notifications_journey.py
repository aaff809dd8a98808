"""In-app notifications: the unread badge in the header on every page, the list, ack one
and ack all."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.ui.helpers import PASSWORD, api, new_email, register, resource_named, token, tomorrow_in
from tests.ui.pages import Site

ROOM = "Meeting room Aurora"  # seeded, Europe/Berlin


def _book(site: Site, bearer: str, hour: int) -> int:
    day = tomorrow_in("Europe/Berlin")
    zone = ZoneInfo("Europe/Berlin")
    starts = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
    ends = datetime(day.year, day.month, day.day, hour + 1, tzinfo=zone)
    made = api(
        site.server, "POST", "/bookings", bearer,
        json={"resource_id": resource_named(site.server, ROOM)["id"],
              "starts_at": starts.isoformat(), "ends_at": ends.isoformat()},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_badge_list_ack_one_and_ack_all(site: Site) -> None:
    email = new_email("inbox")
    register(site.server, email)
    bearer = token(site.server, email, PASSWORD)
    _book(site, bearer, 16)
    site.sign_in(email, PASSWORD)
    link = site.page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Notifications"
    )
    expect(link).to_have_text("Notifications 1 unread")

    second = _book(site, bearer, 17)
    api(site.server, "POST", f"/bookings/{second}/cancel", bearer)
    site.open("/browse/events")  # any page carries the badge
    expect(link).to_have_text("Notifications 3 unread")
    link.click()
    expect(site.page.locator(".notification.unread-item")).to_have_count(3)
    site.check("notifications")

    site.page.get_by_role("button", name="Mark as read").first.click()
    site.expect_flash("Marked as read.")
    expect(link).to_have_text("Notifications 2 unread")
    site.page.get_by_role("link", name="Unread", exact=True).click()
    expect(site.page.locator(".notification")).to_have_count(2)
    site.page.get_by_role("button", name="Mark all as read").click()
    site.expect_flash("All notifications marked as read.")
    expect(link).to_have_text("Notifications")
    site.page.get_by_role("link", name="Unread", exact=True).click()
    expect(site.page.get_by_text("No notifications.")).to_be_visible()
