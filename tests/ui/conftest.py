"""Browser tests: a real `roomtime dev` process (PostgreSQL, Redis, worker) and Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.services import ServiceUrls
from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP
from tests.ui.pages import Site
from tests.ui.server import ADMIN_EMAIL, ADMIN_PASSWORD, UiServer, ui_server

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is slow, and all run on one pytest-xdist worker: they share the
    package's `roomtime dev` process and Chromium, which a second worker would start again.
    (A `pytestmark` in a conftest applies to nothing, hence this hook.)"""
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="package")
def server(services: ServiceUrls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(services, tmp_path_factory.mktemp("ui-data")) as running:
        yield running


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _context(browser: Browser, server: UiServer, **options: object) -> BrowserContext:
    context = browser.new_context(base_url=server.base_url, viewport=DESKTOP, **options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    # Nothing but this server: a page that reached for a CDN would fail loudly.
    context.route(
        lambda url: not url.startswith(server.base_url),
        lambda route: route.abort(),
    )
    return context


@pytest.fixture
def context(browser: Browser, server: UiServer) -> Iterator[BrowserContext]:
    made = _context(browser, server, locale="en-GB")
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def site(page: Page, server: UiServer) -> Site:
    return Site(page, server)


@pytest.fixture(scope="package")
def admin_state(
    browser: Browser, server: UiServer, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """One sign-in of the seed admin, its cookies reused by every admin test (login is
    rate-limited per address, as it should be)."""
    made = _context(browser, server, locale="en-GB")
    Site(made.new_page(), server).sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
    path = tmp_path_factory.mktemp("state") / "admin.json"
    made.storage_state(path=str(path))
    made.close()
    return str(path)


@pytest.fixture
def admin_site(browser: Browser, server: UiServer, admin_state: str) -> Iterator[Site]:
    made = _context(browser, server, locale="en-GB", storage_state=admin_state)
    yield Site(made.new_page(), server)
    made.close()
