"""The clients: each a user with its own seeded random generator, doing random booking
operations against either API process and writing down every request and its answer.

A client retries what failed in transit or on the server's side (a connection refused by a
killed API, a 5xx, 409 busy or idempotency_in_progress) with the same Idempotency-Key, and
sometimes sends a keyed request again on purpose, once it has its answer or at the same time.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

RETRYABLE_CODES = frozenset({"busy", "idempotency_in_progress", "rate_limited"})
MAX_ATTEMPTS = 6
REQUEST_TIMEOUT_SECONDS = 10.0
OPS = (
    ("hold_confirm", 30),
    ("hold_lapse", 8),
    ("book_now", 20),
    ("cancel", 12),
    ("change", 10),
    ("event_book", 20),
)


@dataclass
class Attempt:
    """One HTTP request of a client and what came back (status None: no answer)."""

    client: int
    op_id: int
    op: str
    method: str
    path: str
    key: str | None
    attempt: int
    api: str
    started: float
    ended: float = 0.0
    status: int | None = None
    code: str | None = None
    booking_id: int | None = None
    booking_status: str | None = None
    expires_at: str | None = None
    replayed: bool = False
    error: str | None = None

    @property
    def scope(self) -> str | None:
        """The idempotency scope the server keys this request by."""
        if self.key is None:
            return None
        return "bookings.create" if self.path == "/bookings" else "bookings.confirm"


@dataclass
class Target:
    """What the clients book: rooms with their contested slots, and events."""

    rooms: list[int]
    starts: list[datetime]  # hourly slot starts every client competes for
    events: list[int]


@dataclass
class Client:
    number: int
    user_id: int
    headers: dict[str, str]
    rng: random.Random
    apis: list[str]
    http: httpx.AsyncClient
    target: Target
    records: list[Attempt]
    ops: itertools.count[int]
    mine: dict[int, str] = field(default_factory=dict)  # booking id -> last status seen
    in_flight: dict[str, int] = field(default_factory=dict)  # api -> requests under way

    async def run(self, until: float) -> None:
        kinds, weights = zip(*OPS, strict=True)
        while time.time() < until:
            op = self.rng.choices(kinds, weights)[0]
            await getattr(self, f"_{op}")(next(self.ops))
            await asyncio.sleep(self.rng.uniform(0.05, 0.3))

    # --- operations -------------------------------------------------------------------

    def _range(self) -> dict[str, Any]:
        start = self.rng.randrange(len(self.target.starts))
        length = self.rng.choice((1, 1, 2))
        length = min(length, len(self.target.starts) - start)
        starts = self.target.starts[start]
        return {
            "resource_id": self.rng.choice(self.target.rooms),
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=length)).isoformat(),
        }

    def _key(self) -> str:
        return f"k-{self.number}-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:16]}"

    async def _hold_confirm(self, op_id: int) -> None:
        held = await self.call(op_id, "hold", "POST", "/bookings/hold", self._range())
        if held is None or held.status != 201 or held.booking_id is None:
            return
        # Now and then the client dawdles past the hold's TTL before confirming.
        await asyncio.sleep(self.rng.choice((0.0, 0.1, 0.5, 1.0, 4.0)))
        by_id = self.rng.random() < 0.3
        path = f"/bookings/{held.booking_id}/confirm" if by_id else "/bookings/confirm"
        body = None if by_id else {"hold_id": held.booking_id}
        key = self._key() if self.rng.random() < 0.7 else None
        await self.keyed(op_id, "confirm", path, body, key)

    async def _hold_lapse(self, op_id: int) -> None:
        await self.call(op_id, "hold_lapse", "POST", "/bookings/hold", self._range())

    async def _book_now(self, op_id: int) -> None:
        key = self._key() if self.rng.random() < 0.7 else None
        await self.keyed(op_id, "book_now", "/bookings", self._range(), key)

    async def _cancel(self, op_id: int) -> None:
        live = [b for b, status in self.mine.items() if status in ("pending", "confirmed")]
        if live:
            booking = self.rng.choice(sorted(live))
            await self.call(op_id, "cancel", "POST", f"/bookings/{booking}/cancel", None)

    async def _change(self, op_id: int) -> None:
        confirmed = sorted(b for b, status in self.mine.items() if status == "confirmed")
        if not confirmed:
            return
        booking = self.rng.choice(confirmed)
        new = self._range()
        del new["resource_id"]  # a booking moves within its resource
        await self.call(op_id, "change", "PATCH", f"/bookings/{booking}", new)

    async def _event_book(self, op_id: int) -> None:
        event = self.rng.choice(self.target.events)
        seats = {"seats": self.rng.choice((1, 1, 2))}
        booked = await self.call(op_id, "event_book", "POST", f"/events/{event}/book", seats)
        if booked is None or booked.status != 201 or booked.booking_id is None:
            return
        await asyncio.sleep(self.rng.uniform(0.0, 0.5))
        roll = self.rng.random()
        if roll < 0.5:
            key = self._key() if self.rng.random() < 0.5 else None
            path = f"/bookings/{booked.booking_id}/confirm"
            await self.keyed(op_id, "event_confirm", path, None, key)
        elif roll < 0.7:
            path = f"/bookings/{booked.booking_id}/cancel"
            await self.call(op_id, "event_cancel", "POST", path, None)
        # else: left unpaid, to expire after the event's TTL

    async def keyed(
        self, op_id: int, op: str, path: str, body: dict[str, Any] | None, key: str | None
    ) -> None:
        """A request that may carry an Idempotency-Key and, with one, may be sent again on
        purpose: after its answer, or twice at once."""
        if key is None:
            await self.call(op_id, op, "POST", path, body)
            return
        roll = self.rng.random()
        if roll < 0.3:
            await asyncio.gather(
                self.call(op_id, op, "POST", path, body, key),
                self.call(op_id, f"{op}_dup", "POST", path, body, key),
            )
            return
        await self.call(op_id, op, "POST", path, body, key)
        if roll < 0.7:
            await asyncio.sleep(self.rng.uniform(0.0, 1.0))
            await self.call(op_id, f"{op}_retry", "POST", path, body, key)

    # --- one logical request, retried --------------------------------------------------

    async def call(
        self,
        op_id: int,
        op: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        key: str | None = None,
    ) -> Attempt | None:
        """Send until a definite answer (or give up); returns the last attempt."""
        api = self.rng.choice(self.apis)
        last: Attempt | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            last = await self._send(op_id, op, method, path, body, key, attempt, api)
            if not _retryable(last):
                break
            if last.status is None:  # that process is gone: the other one may answer
                api = self.apis[(self.apis.index(api) + 1) % len(self.apis)]
            await asyncio.sleep(self.rng.uniform(0.2, 0.6))
        return last

    async def _send(
        self,
        op_id: int,
        op: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        key: str | None,
        attempt: int,
        api: str,
    ) -> Attempt:
        record = Attempt(self.number, op_id, op, method, path, key, attempt, api, time.time())
        self.records.append(record)
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        self.in_flight[api] = self.in_flight.get(api, 0) + 1
        try:
            response = await self.http.request(
                method, api + path, json=body, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
            )
        except httpx.HTTPError as exc:
            record.error = type(exc).__name__
        else:
            _read_answer(record, response)
            if record.booking_id is not None and record.booking_status is not None:
                self.mine[record.booking_id] = record.booking_status
        finally:
            self.in_flight[api] -= 1
            record.ended = time.time()
        return record


def _read_answer(record: Attempt, response: httpx.Response) -> None:
    record.status = response.status_code
    record.replayed = response.headers.get("idempotent-replayed") == "true"
    try:
        body = response.json()
    except ValueError:
        return
    if not isinstance(body, dict):
        return
    if response.status_code >= 400:
        record.code = body.get("code")
        return
    record.booking_id = body.get("booking_id", body.get("id"))
    record.booking_status = body.get("status") or ("pending" if "hold_id" in body else None)
    record.expires_at = body.get("expires_at")


def _retryable(attempt: Attempt) -> bool:
    if attempt.status is None or attempt.status >= 500:
        return True
    return attempt.status in (409, 429) and attempt.code in RETRYABLE_CODES
