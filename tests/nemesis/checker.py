"""The checks, from PostgreSQL's final state, the clients' own records and the mail the SMTP
sink received. Each returns a `Check`: passed or not, a one-line summary and the evidence."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from tests.nemesis.config import RunConfig
from tests.nemesis.faults import Outage
from tests.nemesis.mailsink import Delivery
from tests.nemesis.workload import Attempt

LIVE = ("pending", "confirmed")
CONFIRMING_OPS = frozenset(
    {"confirm", "confirm_dup", "confirm_retry", "book_now", "book_now_dup", "book_now_retry"}
    | {"event_confirm", "event_confirm_dup", "event_confirm_retry"}
)
MAX_EVIDENCE = 12


@dataclass
class Check:
    name: str
    passed: bool
    summary: str
    evidence: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure


@dataclass
class Evidence:
    records: list[Attempt]
    deliveries: list[Delivery]
    outages: list[Outage]
    user_of_client: dict[int, int]


def _check(name: str, problems: list[str], summary: str) -> Check:
    return Check(name, not problems, summary, problems[:MAX_EVIDENCE])


async def no_overlap(conn: asyncpg.Connection) -> Check:
    rows = await conn.fetch(
        "SELECT a.id AS a, b.id AS b, a.resource_id FROM booking a JOIN booking b "
        "ON a.resource_id = b.resource_id AND a.id < b.id "
        "AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at) "
        "WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed') "
        "AND a.is_exclusive AND b.is_exclusive"
    )
    live = await conn.fetchval(
        "SELECT count(*) FROM booking WHERE is_exclusive AND status IN ('pending', 'confirmed')"
    )
    problems = [
        f"bookings {r['a']} and {r['b']} overlap on resource {r['resource_id']}" for r in rows
    ]
    return _check(
        "no overlapping live bookings", problems, f"{live} live room bookings, {len(rows)} overlaps"
    )


async def no_oversell(conn: asyncpg.Connection) -> Check:
    rows = await conn.fetch(
        "SELECT e.id, e.total_seats, r.id AS resource_id, "
        "COALESCE((SELECT sum(b.party_size) FROM booking b WHERE b.event_id = e.id "
        "AND b.status IN ('pending', 'confirmed')), 0) AS taken, "
        "(SELECT sum(s.seats_taken) FROM time_slot s WHERE s.resource_id = e.resource_id) "
        "AS counter FROM event e JOIN resource r ON r.id = e.resource_id"
    )
    problems = []
    for r in rows:
        if r["total_seats"] is not None and r["taken"] > r["total_seats"]:
            problems.append(f"event {r['id']}: {r['taken']} seats taken of {r['total_seats']}")
        if r["counter"] != r["taken"]:
            problems.append(
                f"event {r['id']}: the slot counts {r['counter']} seats, live bookings hold {r['taken']}"
            )
    seats = ", ".join(f"event {r['id']}: {r['taken']}/{r['total_seats']}" for r in rows)
    return _check("no event oversold", problems, seats or "no events")


async def slots_agree(conn: asyncpg.Connection) -> Check:
    """R-12 without the reconcile job's help: every live room booking owns its slots in the
    right state, and no slot is held or booked for a booking that is not live."""
    missing = await conn.fetch(
        "SELECT b.id, b.status, s.id AS slot, s.status AS slot_status, s.booking_id "
        "FROM booking b JOIN time_slot s ON s.resource_id = b.resource_id "
        "AND s.starts_at >= b.starts_at AND s.ends_at <= b.ends_at "
        "WHERE b.is_exclusive AND b.status IN ('pending', 'confirmed') AND ("
        "s.booking_id IS DISTINCT FROM b.id OR s.status <> "
        "CASE b.status WHEN 'pending' THEN 'held' ELSE 'booked' END)"
    )
    stray = await conn.fetch(
        "SELECT s.id, s.status, s.booking_id, b.status AS booking_status FROM time_slot s "
        "LEFT JOIN booking b ON b.id = s.booking_id "
        "WHERE s.capacity = 1 AND s.status IN ('held', 'booked') "
        "AND (b.id IS NULL OR b.status NOT IN ('pending', 'confirmed'))"
    )
    problems = [
        f"booking {r['id']} ({r['status']}): slot {r['slot']} is {r['slot_status']} "
        f"for booking {r['booking_id']}"
        for r in missing
    ] + [
        f"slot {r['id']} is {r['status']} for booking {r['booking_id']} ({r['booking_status']})"
        for r in stray
    ]
    return _check(
        "slots agree with bookings", problems, f"{len(missing) + len(stray)} disagreements"
    )


async def acknowledged_confirms(conn: asyncpg.Connection, ev: Evidence) -> Check:
    """Every 201 a client saw for a confirm (or a one-step booking) is in the database:
    confirmed, or cancelled by a cancel request that client made."""
    bookings = {
        r["id"]: r
        for r in await conn.fetch("SELECT id, user_id, status, idempotency_key FROM booking")
    }
    cancel_requests = {
        (a.client, int(a.path.split("/")[2]))
        for a in ev.records
        if a.op in ("cancel", "event_cancel")
    }
    seen: dict[int, Attempt] = {}
    for a in ev.records:
        if a.op in CONFIRMING_OPS and a.status == 201 and a.booking_id is not None:
            seen.setdefault(a.booking_id, a)
    problems = []
    for booking_id, a in sorted(seen.items()):
        row = bookings.get(booking_id)
        if row is None:
            problems.append(
                f"client {a.client} saw 201 for booking {booking_id}: not in the database"
            )
        elif row["user_id"] != ev.user_of_client[a.client]:
            problems.append(
                f"booking {booking_id} (201 to client {a.client}) belongs to user {row['user_id']}"
            )
        elif not _kept(row["status"], (a.client, booking_id) in cancel_requests):
            problems.append(
                f"client {a.client} saw 201 for booking {booking_id} ({a.op}), now "
                f"{row['status']}"
                + (" without a cancel request" if row["status"] == "cancelled" else "")
            )
    return _check(
        "every 201 confirm is in the database",
        problems,
        f"{len(seen)} confirmed bookings acknowledged",
    )


def _kept(status: str, cancelled_by_client: bool) -> bool:
    return status in ("confirmed", "archived") or (status == "cancelled" and cancelled_by_client)


async def one_booking_per_key(conn: asyncpg.Connection, ev: Evidence) -> Check:
    """Every Idempotency-Key, however often sent, gave at most one booking: one id in all
    its 201s, that booking in the database with the key, and one stored outcome."""
    by_key: dict[tuple[int, str, str], list[Attempt]] = defaultdict(list)
    for a in ev.records:
        if a.key is not None and a.scope is not None:
            by_key[(a.client, a.scope, a.key)].append(a)
    rows = await conn.fetch(
        "SELECT id, user_id, idempotency_key FROM booking WHERE idempotency_key IS NOT NULL"
    )
    keyed: dict[tuple[int, str], list[int]] = defaultdict(list)
    for r in rows:
        keyed[(r["user_id"], r["idempotency_key"])].append(r["id"])
    records = {
        (r["user_id"], r["scope"], r["key"]): r["response"]
        for r in await conn.fetch("SELECT user_id, scope, key, response FROM idempotency_record")
    }
    problems = []
    retried = 0
    for (client, scope, key), attempts in sorted(by_key.items()):
        retried += len(attempts) > 1
        user = ev.user_of_client[client]
        answered = {a.booking_id for a in attempts if a.status == 201}
        in_db = keyed.get((user, key), [])
        if len(answered) > 1:
            problems.append(f"client {client} key {key}: 201s name bookings {sorted(answered)}")
        if len(in_db) > 1:
            problems.append(f"client {client} key {key}: bookings {in_db} in the database")
        if answered and in_db and answered != set(in_db):
            problems.append(
                f"client {client} key {key}: answered {sorted(answered)}, database has {in_db}"
            )
        if answered and (user, scope, key) not in records:
            problems.append(f"client {client} key {key}: 201 seen but no stored outcome")
    summary = f"{len(by_key)} keys, {retried} sent more than once"
    return _check("one booking per Idempotency-Key", problems, summary)


async def expiry_in_time(
    conn: asyncpg.Connection, ev: Evidence, config: RunConfig, now: datetime
) -> Check:
    """Every hold past its expiry was released within one sweep (plus grace) of it; a
    stretch without Redis or without a worker, in which no sweep could run, pushes that
    deadline to its end."""
    allowed = config.sweep_interval_seconds + config.sweep_grace_seconds
    rows = await conn.fetch(
        "SELECT b.id, b.expires_at, min(a.ts) AS released FROM booking b "
        "LEFT JOIN audit_log a ON a.entity = 'booking' AND a.entity_id = b.id::text "
        "AND a.action = 'booking.expired' WHERE b.status = 'expired' "
        "GROUP BY b.id, b.expires_at"
    )
    overdue = await conn.fetch(
        "SELECT id, expires_at FROM booking WHERE status = 'pending' AND expires_at < $1",
        now,
    )
    problems = []
    late = []
    for r in rows:
        if r["released"] is None:
            problems.append(f"booking {r['id']} expired without an audit row")
            continue
        deadline = _deadline(r["expires_at"].timestamp(), allowed, ev.outages)
        lateness = r["released"].timestamp() - r["expires_at"].timestamp()
        late.append(lateness)
        if r["released"].timestamp() > deadline:
            problems.append(
                f"booking {r['id']} released {lateness:.1f}s after its expiry "
                f"(allowed until {deadline - r['expires_at'].timestamp():.1f}s)"
            )
    for r in overdue:
        if _deadline(r["expires_at"].timestamp(), allowed, ev.outages) < now.timestamp():
            problems.append(f"booking {r['id']} still pending {now - r['expires_at']} after expiry")
    worst = f", slowest {max(late):.1f}s after expiry" if late else ""
    return _check(
        "expired holds released within TTL + one sweep", problems, f"{len(rows)} expired{worst}"
    )


def _deadline(expires: float, allowed: float, outages: list[Outage]) -> float:
    deadline = expires + allowed
    for outage in sorted(outages, key=lambda o: o.started):
        if outage.started <= deadline and outage.ended >= expires:
            deadline = max(deadline, outage.ended + allowed)
    return deadline


async def outbox_once(conn: asyncpg.Connection, ev: Evidence) -> Check:
    """Every outbox message reached the mail server, as exactly one message (one Message-ID)
    per dedupe key, and every booking change that mails its owner has its message.

    Delivery is at least once: a deliverer killed after the server took a mail but before it
    marked the row sent leaves the row to be sent again when its lease runs out, under the
    same Message-ID, which receivers use to drop the copy. Such transfers are listed as
    notes; a second Message-ID for one dedupe key, or a lost message, fails the check."""
    rows = await conn.fetch(
        "SELECT id, dedupe_key, sent_at, attempts FROM notification_outbox WHERE channel = 'email'"
    )
    transfers = Counter(d.outbox_id for d in ev.deliveries if d.outbox_id is not None)
    ids_per_key: dict[str, set[str]] = defaultdict(set)
    by_outbox = {d.outbox_id: d.message_id for d in ev.deliveries}
    problems, notes = [], []
    for r in rows:
        count = transfers.get(r["id"], 0)
        if r["dedupe_key"] and r["id"] in by_outbox:
            ids_per_key[r["dedupe_key"]].update(
                d.message_id for d in ev.deliveries if d.outbox_id == r["id"]
            )
        if count == 0:
            problems.append(
                f"outbox {r['id']} ({r['dedupe_key']}) never delivered (attempts {r['attempts']})"
            )
        elif count > 1:
            notes.append(
                f"outbox {r['id']} ({r['dedupe_key']}) transferred {count} times, one Message-ID"
            )
        elif r["sent_at"] is None:
            notes.append(
                f"outbox {r['id']} ({r['dedupe_key']}) taken by the mail server, not marked sent "
                "(its deliverer was killed): it goes again, same Message-ID, after its lease"
            )
    problems += [
        f"dedupe key {k}: {len(ids)} Message-IDs" for k, ids in ids_per_key.items() if len(ids) > 1
    ]
    problems += [
        f"mail {d.message_id} to {d.to} matches no outbox row"
        for d in ev.deliveries
        if d.outbox_id is None
    ]
    expected = await conn.fetch(
        "SELECT k FROM ("
        "SELECT 'booking_confirmed:' || id AS k FROM booking WHERE confirmed_at IS NOT NULL "
        "UNION ALL SELECT 'booking_cancelled:' || id FROM booking "
        "WHERE status = 'cancelled' AND confirmed_at IS NOT NULL "
        "UNION ALL SELECT 'hold_expired:' || id FROM booking WHERE status = 'expired') keys "
        "WHERE k NOT IN (SELECT dedupe_key FROM notification_outbox WHERE dedupe_key IS NOT NULL)"
    )
    problems += [f"no outbox message {r['k']}" for r in expected]
    summary = f"{len(rows)} messages, {len(ev.deliveries)} SMTP transfers"
    check = _check("outbox delivered once per dedupe key", problems, summary)
    check.notes = notes
    return check


async def run_checks(dsn: str, ev: Evidence, config: RunConfig, now: datetime) -> list[Check]:
    conn = await asyncpg.connect(dsn)
    try:
        return [
            await no_overlap(conn),
            await no_oversell(conn),
            await slots_agree(conn),
            await acknowledged_confirms(conn, ev),
            await one_booking_per_key(conn, ev),
            await expiry_in_time(conn, ev, config, now),
            await outbox_once(conn, ev),
        ]
    finally:
        await conn.close()
