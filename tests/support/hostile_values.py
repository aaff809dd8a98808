"""Hypothesis strategies for hostile request values: extreme and malformed datetimes, ids,
text and header values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

EXTREME_DATETIMES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:00:00-05:00",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59-23:59",
    "9998-12-31T23:59:59+14:00",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "2030-06-30T23:59:60Z",  # a leap second
    "2030-01-01T00:00:00+24:00",
    "2030-01-01T00:00:00-99:99",
    "2030-01-01T10:00:00",  # naive
    "2030-02-30T10:00:00Z",
    "2030-01-01T25:00:00Z",
    "0000-01-01T00:00:00Z",
    "+12030-01-01T00:00:00Z",
    "2030-01-01T00:00:00.1234567890123Z",
    "２０３０-０１-０１T00:00:00Z",
    "9999-12-31",
    "0001-01-01",
    "1969-12-31",
    "now",
    "",
]
EXTREME_INTS = [0, -1, 1, 2, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**40]
ODD_TEXT = ["a\x00b", "\x00", "\ud800", "x\udfffy", "é" * 300, "𝔘" * 50, "' OR 1=1 --", "%_\\"]
LONG = "x" * 20_000

_offsets = st.builds(
    timezone,
    st.timedeltas(
        min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
    ),
)
# Instants near the ends of the calendar and of the accepted range, with any offset.
near_the_ends = st.one_of(
    st.datetimes(min_value=datetime(9999, 12, 30), timezones=_offsets),
    st.datetimes(max_value=datetime(1, 1, 2), timezones=_offsets),
    st.datetimes(datetime(9998, 12, 30), datetime(9999, 1, 2), timezones=_offsets),
    st.datetimes(datetime(1969, 12, 31), datetime(1970, 1, 2), timezones=_offsets),
)
temporals = st.one_of(
    st.sampled_from(EXTREME_DATETIMES),
    near_the_ends.map(datetime.isoformat),
    st.datetimes(timezones=_offsets).map(datetime.isoformat),
    st.datetimes().map(datetime.isoformat),  # naive, year 1 to 9999
    st.dates().map(str),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
)
ints = st.one_of(st.sampled_from(EXTREME_INTS), st.integers())
texts = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.tuples(st.text(max_size=20), st.sampled_from(["\x00", "\ud800", "\u202e", "\x1b"])).map(
        "".join
    ),
    st.text(max_size=40),
    st.just(LONG),
)
junk: st.SearchStrategy[object] = st.one_of(
    st.none(), st.booleans(), ints, st.floats(), texts, temporals, st.just([]), st.just({})
)
header_bytes = st.one_of(
    st.binary(max_size=200).map(lambda b: bytes(c for c in b if c not in b"\r\n\x00")),
    st.sampled_from([b"\xe9\xff\xfe", "é".encode(), "日本語".encode(), LONG.encode(), b" ", b""]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=300).map(str.encode),
)
content_types = st.sampled_from(
    [
        b"application/json",
        b"application/json; charset=latin-1",
        b"application/json; charset=\xe9",
        b"text/plain",
        b"multipart/form-data",
        b"multipart/form-data; boundary=",
        b"multipart/form-data; boundary=" + b"b" * 5000,
        b"application/x-www-form-urlencoded",
    ]
)
HOSTILE_BY_KIND: dict[str, st.SearchStrategy[Any]] = {
    "text": texts,
    "temporal": temporals,
    "integer": ints,
}
_LENGTHS = st.sampled_from([timedelta(minutes=30), timedelta(hours=1), timedelta(days=1)])


@st.composite
def ordered_ranges(draw: st.DrawFn, days: bool) -> tuple[str, str]:
    """A well-ordered range (start before end) near the ends of the calendar: an ordered
    range gets past the range checks to whatever computes with its ends."""
    start, length = draw(near_the_ends), draw(_LENGTHS)
    try:
        end = start + length
    except OverflowError:
        start, end = start - length, start
    if days:
        return start.date().isoformat(), end.date().isoformat()
    return start.isoformat(), end.isoformat()
