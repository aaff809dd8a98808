"""Type detection and the declared-type policy, without HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from roomtime.core.logging import configure_logging
from roomtime.domains.files._content import TYPES, check_declared, detect
from roomtime.domains.files.errors import UnsupportedFileTypeError
from roomtime.settings import FileSettings
from tests.factories import files

pytestmark = pytest.mark.unit


def test_only_configured_types_are_accepted() -> None:
    only_png = FileSettings(upload_allowed_types="image/png").allowed_type_set
    assert detect(files.png(), only_png).mime == "image/png"
    with pytest.raises(UnsupportedFileTypeError):
        detect(files.pdf(), only_png)


def test_types_the_check_cannot_verify_cannot_be_configured() -> None:
    with pytest.raises(ValueError, match="image/gif"):
        FileSettings(upload_allowed_types="image/png,image/gif")


class _Events(logging.Handler):
    """The structlog event dicts one standard-library logger emits."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.events: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(dict(record.msg))  # type: ignore[call-overload]


@pytest.fixture
def content_log() -> Iterator[list[dict[str, Any]]]:
    # The app's logging setup, as in production: structlog renders through the standard
    # library, so the events can be taken from the module's logger whatever ran before.
    configure_logging("INFO")
    logger = logging.getLogger("roomtime.domains.files._content")
    handler = _Events()
    logger.addHandler(handler)
    try:
        yield handler.events
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize(
    "declared", [None, "", "application/octet-stream", "IMAGE/PNG", "image/x-png", " image/png "]
)
def test_an_unspecific_or_matching_declared_type_is_accepted_silently(
    declared: str | None, content_log: list[dict[str, Any]]
) -> None:
    assert check_declared(declared, TYPES["image/png"]) is None
    assert content_log == []


@pytest.mark.parametrize(
    ("declared", "logged"),
    [
        ("application/pdf", "application/pdf"),
        ("TEXT/HTML", "text/html"),
        ("image/jpg", "image/jpeg"),
    ],
)
def test_a_contradicting_declared_type_is_logged_and_never_refuses_the_file(
    declared: str, logged: str, content_log: list[dict[str, Any]]
) -> None:
    assert check_declared(declared, TYPES["image/png"]) is None  # the content decides
    assert [(e["event"], e["level"], e["declared"], e["detected"]) for e in content_log] == [
        ("upload_declared_type_ignored", "info", logged, "image/png")
    ]
