"""Type detection and the declared-type policy, without HTTP."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize(
    "declared",
    [None, "", "application/octet-stream", "IMAGE/PNG", "image/x-png", "application/pdf"],
)
def test_the_declared_type_never_refuses_a_file(declared: str | None) -> None:
    check_declared(declared, TYPES["image/png"])  # content decides; nothing raised
