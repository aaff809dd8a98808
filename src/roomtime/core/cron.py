"""Cron expressions for the periodic jobs, parsed into the field sets a cron scheduler takes.

Five fields (`minute hour day month weekday`) or six with seconds first, so tests and the
outbox relay can run more often than once a minute. Each field is `*`, a number, a range
`a-b`, a step `*/n` or `a-b/n`, or a comma-separated list of those. Weekdays are 0–7 with
0 and 7 both Sunday, as in crontab. `off` (or `never`) disables the job.
"""

from __future__ import annotations

from dataclasses import dataclass

_DISABLED = {"off", "never", "disabled"}
# name, lowest, highest
_FIELDS = (
    ("second", 0, 59),
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day", 1, 31),
    ("month", 1, 12),
    ("weekday", 0, 7),
)

FieldSet = frozenset[int] | None  # None: every value


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a job runs, in UTC. A None field matches every value."""

    second: FieldSet
    minute: FieldSet
    hour: FieldSet
    day: FieldSet
    month: FieldSet
    weekday: FieldSet  # Monday = 0, as Python's datetime.weekday()

    def as_kwargs(self) -> dict[str, set[int] | None]:
        names = ("second", "minute", "hour", "day", "month", "weekday")
        return {n: None if getattr(self, n) is None else set(getattr(self, n)) for n in names}


def _expand(item: str, low: int, high: int, name: str) -> set[int]:
    body, _, step_text = item.partition("/")
    step = int(step_text) if step_text else 1
    if step < 1:
        raise ValueError(f"{name}: step must be at least 1 in {item!r}")
    if body == "*":
        start, end = low, high
    elif "-" in body:
        first, _, last = body.partition("-")
        start, end = int(first), int(last)
    else:
        start = int(body)
        end = high if step_text else start
    if not low <= start <= end <= high:
        raise ValueError(f"{name}: {item!r} is outside {low}-{high}")
    return set(range(start, end + 1, step))


def _field(text: str, low: int, high: int, name: str) -> FieldSet:
    if text == "*":
        return None
    values: set[int] = set()
    for item in text.split(","):
        try:
            values |= _expand(item, low, high, name)
        except ValueError as exc:
            if str(exc).startswith(name):
                raise
            raise ValueError(f"{name}: {item!r} is not a number, range or step") from exc
    if name == "weekday":  # crontab's Sunday = 0 or 7 → Python's Sunday = 6
        values = {(v + 6) % 7 for v in values}
    return frozenset(values)


def parse_schedule(expression: str) -> Schedule | None:
    """The schedule of a cron expression, or None when the job is switched off."""
    text = expression.strip()
    if text.lower() in _DISABLED:
        return None
    parts = text.split()
    if len(parts) == 5:
        parts = ["0", *parts]
    if len(parts) != 6:
        raise ValueError(f"cron expression {expression!r} needs 5 or 6 fields, or 'off'")
    fields = [
        _field(part, low, high, name)
        for part, (name, low, high) in zip(parts, _FIELDS, strict=True)
    ]
    schedule = Schedule(*fields)
    if schedule.day is not None and schedule.weekday is not None:
        # crontab ORs the two; the scheduler ANDs them. Refuse rather than surprise.
        raise ValueError(f"cron expression {expression!r} restricts both day and weekday")
    return schedule
