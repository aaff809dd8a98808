"""The write path, driven the same way on RoomTime and on its baseline: hold + confirm pairs
on distinct slots from 20 concurrent tasks, then cancels of the bookings they confirmed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import httpx

from bench.drivers import Load, client, drive
from bench.setup import Seed, Server, token_for

CONCURRENCY = 20


@dataclass
class Writer:
    server: Server
    side: str  # "app" (RoomTime) or "base"
    seed: Seed
    headers: list[dict[str, str]]
    confirmed: list[tuple[int, int]] = field(default_factory=list)  # (booking id, user index)
    next_slot: int = 0
    next_cancel: int = 0

    @classmethod
    def for_server(cls, server: Server, side: str, seed: Seed) -> Writer:
        if side == "app":
            headers = [{"Authorization": f"Bearer {token_for(u)}"} for u in seed.user_ids]
        else:
            headers = [{"X-User-Id": str(u)} for u in seed.user_ids]
        return cls(server, side, seed, headers)

    async def pairs(self, seconds: float) -> Load:
        async with client(self.server.base, CONCURRENCY) as http:

            async def pair(i: int) -> bool:
                return await self._pair(http, i)

            load, self.next_slot = await drive(
                pair, seconds=seconds, concurrency=CONCURRENCY, start=self.next_slot
            )
        return load

    async def _pair(self, http: httpx.AsyncClient, i: int) -> bool:
        rid, starts, ends = self.seed.write_slot(self.side, i)
        user = i % len(self.headers)
        headers = self.headers[user]
        prefix = self.server.prefix
        body = {"resource_id": rid, "starts_at": starts.isoformat(), "ends_at": ends.isoformat()}
        held = await http.post(f"{prefix}/bookings/hold", json=body, headers=headers)
        if held.status_code != 201:
            return False
        confirmed = await http.post(
            f"{prefix}/bookings/confirm",
            json={"hold_id": held.json()["hold_id"]},
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        if confirmed.status_code != 201:
            return False
        self.confirmed.append((confirmed.json()["id"], user))
        return True

    async def cancels(self, seconds: float, limit: int) -> Load:
        async with client(self.server.base, CONCURRENCY) as http:

            async def cancel(i: int) -> bool:
                booking_id, user = self.confirmed[i]
                answer = await http.post(
                    f"{self.server.prefix}/bookings/{booking_id}/cancel",
                    headers=self.headers[user],
                )
                return answer.status_code == 200

            load, self.next_cancel = await drive(
                cancel,
                seconds=seconds,
                concurrency=CONCURRENCY,
                start=self.next_cancel,
                limit=limit,
            )
        return load
