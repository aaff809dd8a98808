"""`roomtime dev` writes the console format to a terminal and JSON lines anywhere else."""

from __future__ import annotations

import io
import os
import pty

import pytest

from roomtime.cli import dev_log_format

pytestmark = pytest.mark.unit


def test_a_terminal_gets_the_console_format_and_a_pipe_or_file_json() -> None:
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            assert dev_log_format(terminal) == "console"
    finally:
        os.close(leader)
        os.close(follower)
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "w", closefd=False) as pipe:
            assert dev_log_format(pipe) == "json"
    finally:
        os.close(read_end)
        os.close(write_end)
    assert dev_log_format(io.StringIO()) == "json"
