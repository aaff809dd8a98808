"""Debian's Chromium driven by Playwright (no browser download), axe-core injected from the
axe-playwright-python wheel, and the screenshots every visited page leaves behind."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from playwright.sync_api import Page

CHROMIUM = os.environ.get("ROOMTIME_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ROOT = Path(__file__).resolve().parents[2]
# Ignored by git; `python3 run.py ui-shots` copies a chosen few into docs/ui/.
SHOTS = Path(os.environ.get("ROOMTIME_UI_SHOTS", ROOT / ".ui-shots"))
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
BLOCKING = ("serious", "critical")


def _axe_source() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()


AXE = _axe_source()


def axe_violations(page: Page) -> list[dict[str, object]]:
    """Serious and critical axe-core findings on the page as it is now.

    Injected with evaluate (the DevTools protocol), which the page's CSP does not govern, so
    the policy under test stays exactly what the server sends.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def check_page(page: Page, name: str) -> None:
    """What every page must pass, at phone and desktop width: no serious or critical axe
    finding, nothing wider than a phone screen, and a screenshot of each for review."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE)
    # Once per page (axe takes seconds on this machine): the markup is the same at both
    # widths, and the phone layout is the one where something could be cut off or overlap.
    found = axe_violations(page)
    assert not found, f"{name}: {json.dumps(found, indent=1)}"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        culprits = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(-5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
        )
        raise AssertionError(f"{name} is {overflow}px wider than a phone screen: {culprits}")
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
