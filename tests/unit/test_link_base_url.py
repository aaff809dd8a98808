"""Links in mail point at PUBLIC_BASE_URL, or, when it is unset (development), at where the
process actually serves, so `PORT=8765 roomtime dev` mails links that open."""

from __future__ import annotations

import pytest

from roomtime.settings import AppSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _no_public_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PORT", raising=False)


def test_unset_it_follows_host_and_port() -> None:
    assert AppSettings(_env_file=None, port=8765).link_base_url == "http://127.0.0.1:8765"


def test_a_wildcard_listen_address_becomes_loopback() -> None:
    app = AppSettings(_env_file=None, host="0.0.0.0", port=9000)
    assert app.link_base_url == "http://127.0.0.1:9000"
    assert AppSettings(_env_file=None, host="::1", port=9000).link_base_url == "http://[::1]:9000"


def test_set_it_wins_without_a_trailing_slash() -> None:
    app = AppSettings(_env_file=None, public_base_url="https://rooms.example.com/", port=8765)
    assert app.link_base_url == "https://rooms.example.com"
