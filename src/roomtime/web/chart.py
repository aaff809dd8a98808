"""The utilisation chart: horizontal bars as inline SVG drawn on the server (no script, no
chart library), so it shows under the strict CSP and prints as it looks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Each bar has its label on a line of its own above it, so the drawing stays narrow: at
# phone width (about 340 px of content) it is shown near its natural size and the 13 px
# text stays readable, where a label column beside the bars shrank it to half.
LABEL_LINE = 18
BAR_HEIGHT = 18
ROW = LABEL_LINE + BAR_HEIGHT + 12
BAR_WIDTH = 290
VALUE_WIDTH = 70
WIDTH = BAR_WIDTH + VALUE_WIDTH


@dataclass(frozen=True)
class Bar:
    label: str
    pct: float
    y: int
    width: float

    @property
    def label_y(self) -> int:
        return self.y + LABEL_LINE - 5

    @property
    def bar_y(self) -> int:
        return self.y + LABEL_LINE

    @property
    def value_y(self) -> int:
        return self.bar_y + BAR_HEIGHT - 4


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    height: int
    width: int = WIDTH
    bar_max: int = BAR_WIDTH
    bar_height: int = BAR_HEIGHT


def utilisation(booked: int, open_minutes: int) -> float:
    return round(booked * 100 / open_minutes, 2) if open_minutes else 0.0


def bars(rows: Iterable[tuple[str, int, int]]) -> Chart:
    """(label, booked minutes, open minutes) per bar, in the order given."""
    drawn = []
    for index, (label, booked, open_minutes) in enumerate(rows):
        pct = utilisation(booked, open_minutes)
        width = BAR_WIDTH * min(pct, 100.0) / 100
        drawn.append(Bar(label=label[:40], pct=pct, y=index * ROW, width=round(width, 1)))
    return Chart(bars=drawn, height=max(len(drawn), 1) * ROW)


def by_resource(rows: list[dict[str, Any]], names: dict[int, str]) -> Chart:
    totals: dict[int, list[int]] = {}
    for row in rows:
        sums = totals.setdefault(row["resource_id"], [0, 0])
        sums[0] += row["booked_minutes"]
        sums[1] += row["open_minutes"]
    return bars(
        (names.get(rid, f"#{rid}"), booked, opened) for rid, (booked, opened) in totals.items()
    )


def by_day(rows: list[dict[str, Any]]) -> Chart:
    totals: dict[str, list[int]] = {}
    for row in rows:
        sums = totals.setdefault(row["date"], [0, 0])
        sums[0] += row["booked_minutes"]
        sums[1] += row["open_minutes"]
    return bars((day, booked, opened) for day, (booked, opened) in sorted(totals.items()))
