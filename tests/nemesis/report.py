"""The run, told for people: what the clients did, what the nemesis did, what the checks say."""

from __future__ import annotations

from collections import Counter, defaultdict

from tests.nemesis.config import FAULT_KINDS
from tests.nemesis.runner import Outcome


def render(outcome: Outcome) -> str:
    cfg = outcome.config
    lines = [
        f"RoomTime fault-injection run: seed {cfg.seed}, {cfg.duration_seconds:.0f}s of "
        f"workload, {cfg.clients} clients, {cfg.api_processes} API and "
        f"{cfg.worker_processes} worker processes ({outcome.seconds:.0f}s in all: "
        + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in outcome.phases.items())
        + ")",
        "",
        "Operations (requests by status; '-' means no answer):",
    ]
    by_op: dict[str, Counter[str]] = defaultdict(Counter)
    for a in outcome.records:
        label = "-" if a.status is None else str(a.status)
        if a.code:
            label += f" {a.code}"
        if a.replayed:
            label += " replayed"
        by_op[a.op][label] += 1
    for op in sorted(by_op):
        counts = ", ".join(f"{label} x{n}" for label, n in sorted(by_op[op].items()))
        lines.append(f"  {op:<20} {sum(by_op[op].values()):>5}  {counts}")
    lines += ["", "Faults:"]
    t0 = min((a.started for a in outcome.records), default=0.0)
    for f in outcome.faults:
        took = f.ended - f.started if f.ended else 0.0
        lines.append(f"  +{f.started - t0:6.1f}s {f.kind:<14} {took:4.1f}s  {f.detail}")
    if outcome.crashes:
        lines += ["", "Processes that died on their own (restarted, as a supervisor would):"]
        lines += [
            f"  +{c.at - t0:6.1f}s {c.process} exit code {c.returncode}" for c in outcome.crashes
        ]
    lines += ["", "Checks:"]
    for check in outcome.checks:
        mark = "PASS" if check.passed else "FAIL"
        lines.append(f"  [{mark}] {check.name}: {check.summary}")
        lines += [f"         - {item}" for item in check.evidence]
        lines += [f"         note: {item}" for item in check.notes]
    missing = sorted(set(FAULT_KINDS) - outcome.faults_fired)
    if missing:
        lines.append(f"  [note] fault kinds that did not fire: {', '.join(missing)}")
    verdict = "every check passed" if outcome.passed else "SOME CHECKS FAILED"
    lines += [
        "",
        f"{verdict}. History (every request, fault and check): {outcome.run_dir / 'history.json'}",
        f"Logs of every process: {outcome.run_dir}",
        f"Again: python3 run.py nemesis --seed {cfg.seed} --duration {cfg.duration_seconds:g}",
    ]
    return "\n".join(lines)
