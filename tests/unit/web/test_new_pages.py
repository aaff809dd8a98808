"""Small pure pieces of the pages for events, specialists and notifications."""

from __future__ import annotations

import pytest

from roomtime.web import timefmt
from roomtime.web.routes.notifications import page_for
from roomtime.web.routes.specialists import _at, _service_body

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("cta", "page"),
    [
        ("/bookings/7", "/my/bookings"),
        ("/events/3", "/browse/events/3"),
        (None, None),
        ("", None),
        ("https://elsewhere.example/x", None),
        ("//elsewhere.example/bookings/7", None),
        ("/admin/secret", None),
    ],
)
def test_a_notification_links_only_to_pages_of_this_site(cta: str | None, page: str | None) -> None:
    assert page_for(cta) == page


def test_a_service_form_becomes_the_apis_body() -> None:
    body = _service_body({"name": "Trim", "duration_minutes": "30", "price": "12,50"})
    assert body == {"name": "Trim", "duration_minutes": 30, "price_cents": 1250}
    assert (
        _service_body({"name": "Trim", "duration_minutes": "30", "price": ""})["price_cents"]
        is None
    )
    # What is not a number goes on as typed, so the API's 422 names the field.
    assert _service_body({"name": "x", "duration_minutes": "half", "price": "lots"}) == {
        "name": "x",
        "duration_minutes": "half",
        "price_cents": "lots",
    }


def test_a_local_time_of_the_specialist_becomes_an_instant() -> None:
    assert _at("2030-01-07", "12:00", "Europe/Berlin") == "2030-01-07T12:00:00+01:00"
    assert _at("2030-07-08", "12:00", "Europe/Berlin") == "2030-07-08T12:00:00+02:00"
    assert _at("not a day", "12:00", "UTC") == ""
    assert _at("2030-01-07", "noon", "UTC") == ""


def test_a_clock_time_is_in_the_zone_named() -> None:
    assert timefmt.clock("2030-01-07T11:30:00+00:00", "Europe/Berlin") == "12:30"
