"""A py-spy profile of a server while the bench drives it, summarised like `py-spy top`."""

from __future__ import annotations

import collections
import shutil
import subprocess
from pathlib import Path


def start(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """Sample `pid` for `seconds` into collapsed stacks (None when py-spy is missing)."""
    spy = shutil.which("py-spy") or str(Path(__file__).resolve().parents[1] / ".venv/bin/py-spy")
    if not Path(spy).exists():
        return None
    command = [spy, "record", "-p", str(pid), "-d", str(max(1, int(seconds) - 1)), "-r", "250",
               "-f", "raw", "-o", str(out), "--nonblocking"]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summary(collapsed: Path, top: int = 25) -> str:
    """Own and total share of samples per function (file:function), most own time first; idle
    samples (the event loop waiting) are left out so the shares are of CPU time."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        frames = [_name(f) for f in stack.split(";") if f]
        if not frames or "select (selectors.py" in stack.rsplit(";", 1)[-1]:
            continue
        count = int(count_text)
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            total[name] += count
    lines = [f"{samples} busy samples", f"{'own %':>7}{'total %':>9}  function"]
    for name, count in own.most_common(top):
        lines.append(f"{count / samples:>7.1%}{total[name] / samples:>9.1%}  {name}")
    return "\n".join(lines)


def _name(frame: str) -> str:
    # "function (path/to/module.py:line)" -> "module.py:function"
    func, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{'/'.join(path.split('/')[-2:])}:{func}"
