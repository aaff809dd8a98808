"""Queue jobs of the notifications domain; the jobs registry calls them with its context."""

from __future__ import annotations

from typing import Any

from roomtime.infrastructure import infra_of

BATCH = 100
MAX_BATCHES = 20


async def send_notifications_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`send-notifications`: the outbox relay. Every message that is due gets a delivery
    attempt; failures wait out their backoff and are picked up by a later run."""
    notifier = infra_of(ctx).notifier
    due = sent = 0
    for _ in range(MAX_BATCHES):
        report = await notifier.relay(BATCH)
        due, sent = due + report.attempted, sent + report.sent
        if report.attempted < BATCH:
            break
    return {"due": due, "sent": sent, "deferred": due - sent}
