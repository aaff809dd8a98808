"""Register, confirm the address from the mailed link, sign in and out; forget the password
and set a new one from the mailed link; the API's limit, with its wait, when asked too often."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.ui.helpers import PASSWORD, new_email, register
from tests.ui.pages import Site


def test_register_verify_sign_in_and_out(site: Site) -> None:
    email = new_email("ada")
    site.open("/register")
    site.check("register")
    site.register(email, PASSWORD, full_name="Ada Lovelace")
    site.expect_flash("Account created.")
    expect(site.page).to_have_url(re.compile(r"/login$"))
    site.check("login")

    link = site.server.link_in_mail(email, "/verify")
    site.page.goto(link)
    expect(site.heading()).to_have_text("Confirm your email address")
    expect(site.page).not_to_have_url(re.compile("token="))  # taken out of the address bar
    site.check("verify")
    site.page.get_by_role("button", name="Confirm my email address").click()
    site.expect_flash("Your email address is confirmed.")
    # The link works once: the API's reason is shown the second time.
    site.page.goto(link)
    site.page.get_by_role("button", name="Confirm my email address").click()
    expect(site.page.get_by_role("alert")).to_contain_text(re.compile("invalid|expired|used", re.I))

    site.sign_in(email, "not the password")
    expect(site.page.get_by_role("alert")).to_contain_text(re.compile("email or password", re.I))
    site.sign_in(email, PASSWORD)
    site.expect_flash("You are signed in.")
    expect(site.page.get_by_text("Ada Lovelace")).to_be_visible()
    site.sign_out()
    site.expect_flash("You are signed out.")
    expect(site.page.get_by_role("link", name="Sign in")).to_be_visible()
    # Signed out means signed out: a personal page asks to sign in again.
    site.open("/my/bookings")
    expect(site.page).to_have_url(re.compile(r"/login\?next=%2Fmy%2Fbookings$"))


def test_forgot_and_reset_from_the_mailed_link(site: Site) -> None:
    email = new_email("grace")
    register(site.server, email)
    site.open("/login")
    site.page.get_by_role("link", name="Forgot your password?").click()
    site.check("forgot")
    site.page.get_by_label("Email").fill(email)
    site.page.get_by_role("button", name="Send the link").click()
    site.expect_flash("If an account uses that address, a link is on its way.")

    site.page.goto(site.server.link_in_mail(email, "/reset"))
    expect(site.heading()).to_have_text("Choose a new password")
    site.page.get_by_label("New password").fill("short")
    # The browser's own check is bypassed so the API's rule is the one that answers.
    site.page.locator("form[data-token-form]").evaluate("f => f.noValidate = true")
    site.page.get_by_role("button", name="Set the password").click()
    expect(site.page.get_by_role("alert")).to_contain_text(re.compile("8", re.I))
    site.check("reset")
    site.page.get_by_label("New password").fill("a brand new passphrase")
    site.page.get_by_role("button", name="Set the password").click()
    site.expect_flash("Password changed.")
    site.sign_in(email, PASSWORD)
    expect(site.page.get_by_role("alert")).to_be_visible()  # the old one no longer works
    site.sign_in(email, "a brand new passphrase")
    site.expect_flash("You are signed in.")

    # Forgot is limited per client address (3 a minute): the API's words and its wait.
    site.sign_out()
    for _ in range(4):
        site.open("/forgot")
        site.page.get_by_label("Email").fill(email)
        site.page.get_by_role("button", name="Send the link").click()
    alert = site.page.get_by_role("alert")
    expect(alert).to_contain_text(re.compile(r"Try again in \d+ s\."))
