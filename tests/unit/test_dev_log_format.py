"""`roomtime dev` writes the console format to a terminal and JSON lines anywhere else."""

from __future__ import annotations

import io
import os
import pty

import pytest

from roomtime.cli import dev_log_format

pytestmark = pytest.mark.unit


def _format_for(pair: tuple[int, int], writes_to: int) -> str:
    try:
        with os.fdopen(pair[writes_to], "w", closefd=False) as stream:
            return dev_log_format(stream)
    finally:
        for fd in pair:
            os.close(fd)


def test_a_terminal_gets_the_console_format_and_a_pipe_or_file_json() -> None:
    assert _format_for(pty.openpty(), writes_to=1) == "console"
    assert _format_for(os.pipe(), writes_to=1) == "json"
    assert dev_log_format(io.StringIO()) == "json"
