"""The cached day's JSON, written from plain values, is the AvailabilityRead model's JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from roomtime.domains.availability.schemas import AvailabilityRead, AvailableSlotRead
from roomtime.domains.availability.service import day_json
from roomtime.domains.slots.service import AvailableSlot

pytestmark = pytest.mark.unit


def _model_json(resource_id: int, day: date, tz: str, slots: list[AvailableSlot]) -> bytes:
    model = AvailabilityRead(
        resource_id=resource_id,
        date=day,
        timezone=tz,
        slots=[
            AvailableSlotRead(
                id=s.id, starts_at=s.starts_at, ends_at=s.ends_at, seats_left=s.seats_left
            )
            for s in slots
        ],
    )
    return model.model_dump_json().encode()


@pytest.mark.parametrize("count", [0, 1, 24])
def test_day_json_is_the_models_json(count: int) -> None:
    start = datetime(2030, 1, 8, 7, 0, tzinfo=UTC)
    slots = [
        AvailableSlot(
            9_000_000_000 + i,
            start + timedelta(minutes=30 * i),
            start + timedelta(minutes=30 * i + 30, microseconds=7 * (i % 2)),
            i % 3,
        )
        for i in range(count)
    ]
    day = date(2030, 1, 8)
    assert day_json(42, day, "Europe/Berlin", slots) == _model_json(42, day, "Europe/Berlin", slots)


def test_an_offset_other_than_utc_is_written_as_the_model_writes_it() -> None:
    # The database hands back UTC; should a driver ever hand back another offset, the
    # answer must still be what the model would have written.
    plus_one = timezone(timedelta(hours=1))
    slots = [
        AvailableSlot(
            1, datetime(2030, 1, 8, 8, tzinfo=plus_one), datetime(2030, 1, 8, 9, tzinfo=plus_one), 1
        )
    ]
    day = date(2030, 1, 8)
    assert day_json(1, day, "UTC", slots) == _model_json(1, day, "UTC", slots)
