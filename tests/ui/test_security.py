"""What keeps a signed-in person safe: tokens no script can read, a strict CSP, CSRF on every
form, and errors that say what the API said and nothing more."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, expect

from tests.ui.helpers import PASSWORD, new_email, register
from tests.ui.pages import Site


def test_tokens_are_http_only_cookies_no_script_can_read(
    site: Site, context: BrowserContext
) -> None:
    email = new_email("safe")
    register(site.server, email)
    site.sign_in(email, PASSWORD)
    site.expect_flash("You are signed in.")
    cookies = {c["name"]: c for c in context.cookies()}
    for name in ("rt_access", "rt_refresh", "rt_csrf"):
        assert cookies[name]["httpOnly"] is True, name
        assert cookies[name]["sameSite"] == "Lax", name
    assert site.page.evaluate("() => document.cookie") == ""
    assert cookies["rt_access"]["value"] not in site.page.content()


def test_every_page_sends_a_strict_policy(site: Site) -> None:
    response = site.page.goto("/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    # No inline script or style anywhere in the markup the policy would have to allow.
    assert site.page.locator("script:not([src])").count() == 0
    assert site.page.locator("[style]").count() == 0


def test_a_form_without_its_csrf_token_changes_nothing(site: Site, context: BrowserContext) -> None:
    email = new_email("csrf")
    register(site.server, email)
    site.sign_in(email, PASSWORD)
    # What another site's form would send: the person's cookies, but not the page's token.
    forged = context.request.post(
        "/book/1/hold",
        form={"starts_at": "2030-01-07T10:00:00+01:00", "ends_at": "2030-01-07T11:00:00+01:00"},
        max_redirects=0,
    )
    assert forged.status == 403
    assert "This form has expired" in forged.text()
    wrong = context.request.post("/logout", form={"csrf_token": "0" * 64}, max_redirects=0)
    assert wrong.status == 403
    site.open("/my/bookings")
    expect(site.page.get_by_text("No bookings yet.")).to_be_visible()  # still signed in


def test_errors_show_the_apis_detail_and_no_internals(site: Site) -> None:
    response = site.page.goto("/book/987654")
    assert response is not None and response.status == 404
    expect(site.heading()).to_have_text("Something went wrong")
    expect(site.page.get_by_role("alert")).to_contain_text("Resource 987654 does not exist")
    assert "Traceback" not in site.page.content()
    site.check("error")
