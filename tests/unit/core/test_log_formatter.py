"""The log formatter's short path for plain structlog lines writes exactly what structlog's
ProcessorFormatter writes, and leaves the record as it found it for other handlers."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import structlog

from roomtime.core.logging import _UtcTimestamp, configure_logging

pytestmark = pytest.mark.unit

# A standard-library record is stamped when it is formatted, so two renderings differ there.
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT[0-9:.]+Z")


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(params=["json", "console"])
def records(request: pytest.FixtureRequest) -> Iterator[tuple[logging.Formatter, _Keep]]:
    root = logging.getLogger()
    level = root.level
    configure_logging("DEBUG", request.param, secrets=["a-configured-secret-value"])
    ours = root.handlers[0].formatter
    assert ours is not None
    keep = _Keep()
    root.addHandler(keep)
    yield ours, keep
    root.removeHandler(keep)
    root.setLevel(level)


def _reference(ours: logging.Formatter) -> structlog.stdlib.ProcessorFormatter:
    assert isinstance(ours, structlog.stdlib.ProcessorFormatter)
    return structlog.stdlib.ProcessorFormatter(
        processors=ours.processors, foreign_pre_chain=ours.foreign_pre_chain
    )


def test_every_kind_of_line_renders_as_structlog_renders_it(
    records: tuple[logging.Formatter, _Keep],
) -> None:
    ours, keep = records
    log = structlog.get_logger("roomtime.test")
    log.info("request", method="GET", path="/x", status=200, user_id=None, duration_ms=0.5)
    log.warning("with a secret", detail="the a-configured-secret-value leaked")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
        # structlog resolves exc_info=True when the line is formatted, so inside the block.
        assert "ValueError: boom" in ours.format(keep.records[-1])
        logging.getLogger("some.library").exception("library failed %s", "here")
    logging.getLogger("some.library").info("plain %s", "args")
    logging.getLogger("some.library").info("with stack", stack_info=True)
    assert len(keep.records) == 6
    reference = _reference(ours)
    for record in keep.records:
        before = dict(record.__dict__)
        assert _STAMP.sub("T", ours.format(record)) == _STAMP.sub("T", reference.format(record))
        assert record.__dict__ == before
    lines = [ours.format(r) for r in keep.records]
    assert "a-configured-secret-value" not in "".join(lines)
    assert "ValueError: boom" in lines[3]
    assert "with stack" in lines[5]


@pytest.mark.parametrize(
    "nanos",
    [1_767_322_245_678_901_234, 1_767_322_245_000_000_000, 1_767_322_245_000_000_999, 0],
)
def test_the_timestamp_reads_as_structlogs_iso_utc_stamp(nanos: int) -> None:
    stamp = _UtcTimestamp(lambda: nanos)
    seconds, micros = divmod(nanos // 1000, 1_000_000)
    moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)
    expected = moment.isoformat().replace("+00:00", "Z")  # what TimeStamper writes
    assert stamp(None, "info", {})["timestamp"] == expected
    # The second call takes the remembered date and time of day.
    assert stamp(None, "info", {})["timestamp"] == expected
