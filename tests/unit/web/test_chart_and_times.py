"""The utilisation chart's bars and the way times are written on the pages."""

from __future__ import annotations

from datetime import date

import pytest

from roomtime.web import chart, timefmt
from roomtime.web.i18n import Translator
from roomtime.web.resource_form import body_from, local_range

pytestmark = pytest.mark.unit


def test_bars_are_weighted_by_open_time_and_capped_at_the_track() -> None:
    rows = [
        {"resource_id": 1, "date": "2030-01-01", "booked_minutes": 60, "open_minutes": 600},
        {"resource_id": 1, "date": "2030-01-02", "booked_minutes": 540, "open_minutes": 600},
        {"resource_id": 2, "date": "2030-01-01", "booked_minutes": 0, "open_minutes": 0},
    ]
    drawn = chart.by_resource(rows, {1: "Aurora"})
    assert [(b.label, b.pct) for b in drawn.bars] == [("Aurora", 50.0), ("#2", 0.0)]
    assert drawn.bars[0].width == chart.BAR_WIDTH / 2 and drawn.bars[1].y == chart.ROW
    days = chart.by_day(rows)
    assert [(b.label, b.pct) for b in days.bars] == [("2030-01-01", 10.0), ("2030-01-02", 90.0)]
    assert chart.bars([("x", 200, 100)]).bars[0].width == chart.BAR_WIDTH  # never past 100 %


def test_times_are_written_in_the_resources_zone_with_its_name() -> None:
    en, ru = Translator("en"), Translator("ru")
    start, end = "2030-01-08T07:00:00Z", "2030-01-08T08:30:00Z"
    assert timefmt.span(start, end, "Europe/Berlin", en) == (
        "Tue 8 Jan 2030, 08:00–09:30 (Europe/Berlin)"
    )
    assert timefmt.span(start, end, "Asia/Tokyo", ru) == "Вт, 8 янв 2030, 16:00–17:30 (Asia/Tokyo)"
    assert timefmt.clock_span(start, end, "UTC") == "07:00–08:30"
    assert timefmt.day_label(date(2030, 1, 13), en) == "Sun 13 Jan 2030"


def test_the_resource_form_becomes_the_apis_body() -> None:
    form = {
        "name": "Room", "location": "HQ", "capacity": "4", "slot_minutes": "x",
        "hold_ttl_seconds": "", "timezone": "UTC", "opens_0": "09:00", "closes_0": "17:00",
        "opens_1": "", "closes_1": "",
    }  # fmt: skip
    body = body_from(form, with_hours=True)
    assert body["capacity"] == 4 and body["slot_minutes"] == "x"  # the API names the error
    assert body["hold_ttl_seconds"] is None
    assert body["opening_hours"] == [{"weekday": 0, "opens": "09:00", "closes": "17:00"}]
    assert "opening_hours" not in body_from(form, with_hours=False)


def test_a_local_range_carries_the_zones_offset_for_that_day() -> None:
    assert local_range("2030-07-01", "12:00", "14:00", "Europe/Berlin") == {
        "starts_at": "2030-07-01T12:00:00+02:00",
        "ends_at": "2030-07-01T14:00:00+02:00",
    }
    assert local_range("2030-13-01", "12:00", "14:00", "UTC")["starts_at"] == "2030-13-01T12:00"
