"""The table `python3 run.py bench` prints: each row's rates, p99s and ratio, then the checks."""

from __future__ import annotations

from typing import Any


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{'path':<26}{'RoomTime/s':>11}{'p99 ms':>8}{'baseline/s':>11}{'p99 ms':>8}"
        f"{'ratio':>7}{'target':>8}  met",
    ]
    for row in results["rows"]:
        app, base = row["roomtime"], row["baseline"]
        target = "" if row["target"] is None else f"{row['target']:.2f}"
        met = "" if row["met"] is None else ("yes" if row["met"] else "NO")
        lines.append(
            f"{row['path']:<26}{app['rate']:>11.0f}{app['p99_ms']:>8.1f}{base['rate']:>11.0f}"
            f"{base['p99_ms']:>8.1f}{row['ratio']:>7.2f}{target:>8}  {met}"
        )
    for name, check in results["checks"].items():
        lines.append(f"{name}: {check}")
    return "\n".join(lines)
