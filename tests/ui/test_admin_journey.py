"""Admins manage resources (create, edit, image, block and unblock, deactivate), accounts
(role, deactivate), read the audit log with filters and the utilisation report's chart."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from PIL import Image
from playwright.sync_api import Dialog, expect

from tests.ui.helpers import PASSWORD, new_email, register, tomorrow_in
from tests.ui.pages import Site

HOSTILE = "<script>alert(1)</script>"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 40), (11, 92, 173)).save(out, format="PNG")
    return out.getvalue()


def test_resource_lifecycle_with_a_hostile_name(admin_site: Site) -> None:
    site, page = admin_site, admin_site.page
    dialogs: list[str] = []

    def _record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", _record)
    site.open("/admin/resources")
    site.check("admin-resources")
    page.get_by_role("link", name="New resource").click()
    page.get_by_label("Name").fill(HOSTILE)
    page.get_by_label("Location").fill("Lab")
    page.get_by_label("Capacity").fill("3")
    page.get_by_label("Time zone").fill("Asia/Tokyo")
    page.get_by_role("button", name="Save").click()
    site.expect_flash("Saved.")
    expect(site.heading()).to_have_text(HOSTILE)  # shown as text, never run
    site.check("admin-resource")

    page.get_by_label("Location").fill("Lab 2")
    page.get_by_role("button", name="Save").click()
    site.expect_flash("Saved.")
    expect(page.get_by_label("Location")).to_have_value("Lab 2")
    # An invalid value is refused by the API, whose words are shown.
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Mars/Olympus")

    page.get_by_label("Image file").set_input_files(
        {"name": "room.png", "mimeType": "image/png", "buffer": _png()}
    )
    page.get_by_role("button", name="Upload").click()
    site.expect_flash("Image uploaded.")
    expect(page.get_by_role("img", name=f"Picture of {HOSTILE}")).to_be_visible()

    day = tomorrow_in("Asia/Tokyo").isoformat()
    page.get_by_label("Day", exact=True).fill(day)
    page.get_by_label("From").fill("12:00")
    page.get_by_label("To", exact=True).fill("14:00")
    page.get_by_role("button", name="Block", exact=True).click()
    site.expect_flash("2 slots blocked.")
    expect(page.locator(".chips")).not_to_contain_text("12:00–13:00")
    page.get_by_label("From").fill("12:00")
    page.get_by_label("To", exact=True).fill("14:00")
    page.get_by_role("button", name="Unblock").click()
    site.expect_flash("2 slots unblocked.")
    expect(page.locator(".chips")).to_contain_text("12:00–13:00")

    site.search("Lab 2")
    expect(page.get_by_role("link", name=HOSTILE)).to_be_visible()
    site.check("browse-hostile-name")
    page.get_by_role("link", name=HOSTILE).click()
    resource_path = page.url.split("/book/")[1]
    site.open(f"/admin/resources/{resource_path}")
    page.get_by_role("button", name="Deactivate").click()
    site.expect_flash("Deactivated.")
    site.search("Lab 2")
    expect(page.get_by_text("Nothing matches your search.")).to_be_visible()
    assert dialogs == []


def test_accounts_roles_and_deactivation(admin_site: Site) -> None:
    site, page = admin_site, admin_site.page
    email = new_email("staff")
    register(site.server, email)
    site.open("/admin/users")
    site.check("admin-users")
    row = page.get_by_role("row", name=re.compile(re.escape(email)))
    row.get_by_label(f"Role of {email}", exact=True).select_option("admin")
    row.get_by_role("button", name=f"Save the role of {email}").click()
    site.expect_flash("Saved.")
    row = page.get_by_role("row", name=re.compile(re.escape(email)))
    expect(row.get_by_label(f"Role of {email}", exact=True)).to_have_value("admin")
    row.get_by_role("button", name=f"Deactivate {email}").click()
    site.expect_flash("Saved.")
    row = page.get_by_role("row", name=re.compile(re.escape(email)))
    expect(row).to_contain_text("Deactivated")
    # The deactivated account can no longer sign in.
    other = Site(page.context.browser.new_page(base_url=site.server.base_url), site.server)  # type: ignore[union-attr]
    other.sign_in(email, PASSWORD)
    expect(other.page.get_by_role("alert")).to_be_visible()
    other.page.close()


def test_audit_log_filters(admin_site: Site) -> None:
    site, page = admin_site, admin_site.page
    site.open("/admin/audit")
    page.get_by_label("Action").fill("resource.created")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    expect(rows.first).to_contain_text("resource.created")
    for text in rows.all_inner_texts():
        assert "resource.created" in text
    expect(page).to_have_url(re.compile(r"action=resource\.created"))
    site.check("admin-audit")


def test_utilisation_report_chart(admin_site: Site) -> None:
    site, page = admin_site, admin_site.page
    ids = [r["id"] for r in site.server.sql("SELECT id FROM resource ORDER BY id LIMIT 2")]
    first = date.today() - timedelta(days=3)
    for offset, (booked, opened) in enumerate([(120, 720), (360, 720), (600, 720)]):
        for share, rid in zip((1, 3), ids, strict=True):
            booked //= share
            site.server.sql(
                "INSERT INTO resource_utilization_daily (resource_id, local_date, bookings,"
                " booked_minutes, open_minutes, utilization_pct, computed_at)"
                " VALUES ($1, $2, 1, $3::int, $4::int, round($3::int * 100.0 / $4::int, 2), now())"
                " ON CONFLICT DO NOTHING",
                rid, first + timedelta(days=offset), booked, opened,
            )  # fmt: skip
    site.open("/admin/report")
    chart = page.get_by_role("img", name="Utilisation by resource")
    expect(chart).to_be_visible()
    expect(page.locator("svg rect.bar")).to_have_count(2)
    expect(page.get_by_role("table")).to_contain_text("50.0%")  # (120+360+600) / (3 × 720)
    site.check("admin-report")
    page.get_by_label("Resource", exact=True).select_option(str(ids[0]))
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("img", name="Utilisation by day")).to_be_visible()
    expect(page.locator("svg rect.bar")).to_have_count(3)
    expect(page.get_by_role("table")).to_contain_text("83.33%")


def test_people_who_are_not_admins_get_the_apis_refusal(site: Site) -> None:
    email = new_email("curious")
    register(site.server, email)
    site.sign_in(email, PASSWORD)
    site.open("/admin/users")
    expect(site.heading()).to_have_text("Something went wrong")
    expect(site.page.get_by_role("alert")).to_contain_text(re.compile("admin", re.I))
    expect(site.page.get_by_role("link", name="Users")).to_have_count(0)  # not in the menu
