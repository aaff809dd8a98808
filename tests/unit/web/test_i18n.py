"""The language a request gets, and catalogues that cover every message the pages use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.requests import Request

from roomtime.web.i18n import LANGUAGES, Translator, catalogue, language_of

pytestmark = pytest.mark.unit
WEB = Path(__file__).resolve().parents[3] / "src" / "roomtime" / "web"


def _request(accept: str = "", cookie: str = "") -> Request:
    headers = [(b"accept-language", accept.encode())]
    if cookie:
        headers.append((b"cookie", f"rt_lang={cookie}".encode()))
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.mark.parametrize(
    ("accept", "cookie", "expected"),
    [
        ("", "", "en"),
        ("ru-RU,ru;q=0.9,en;q=0.8", "", "ru"),
        ("en-GB,ru;q=0.5", "", "en"),
        ("de-DE,ru;q=0.3,en;q=0.2", "", "ru"),
        ("fr, de", "", "en"),
        ("ru;q=0", "", "en"),
        ("ru;q=abc, en;q=0.1", "", "en"),
        ("ru-RU", "en", "en"),
        ("", "ru", "ru"),
        ("", "xx", "en"),
    ],
)
def test_cookie_then_accept_language_then_english(accept: str, cookie: str, expected: str) -> None:
    assert language_of(_request(accept, cookie)) == expected


def test_both_catalogues_have_the_same_messages_and_placeholders() -> None:
    en, ru = catalogue("en"), catalogue("ru")
    assert set(en) == set(ru)
    for key in en:
        assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", ru[key])), key


def test_every_message_the_pages_use_is_in_the_catalogue() -> None:
    sources = [*WEB.rglob("*.html"), *WEB.rglob("*.py")]
    used: set[str] = set()
    for path in sources:
        text = path.read_text()
        # Whole keys only: t("status_" ~ s) builds its key from a prefix, checked below.
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]*[a-z0-9])["']\s*[,)]""", text))
    prefixed = {"status_": ("pending", "confirmed", "cancelled", "expired", "archived"),
                "role_": ("user", "admin"), "mode_": ("exclusive", "shared"),
                "switch_to_": LANGUAGES, "slots_": ("blocked", "unblocked")}  # fmt: skip
    for prefix, values in prefixed.items():
        used |= {prefix + v for v in values}
    missing = used - set(catalogue("en"))
    assert not missing


def test_a_translator_fills_placeholders_and_falls_back_to_the_key() -> None:
    assert Translator("ru")("capacity_n", n=4) == "мест: 4"
    assert Translator("en")("no.such.key") == "no.such.key"
