"""The run's SMTP server: it accepts every message and records when, to whom, and its
Message-ID, which names the outbox row it came from."""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

_OUTBOX_ID = re.compile(r"^<outbox-(\d+)-\d+@")


@dataclass(frozen=True)
class Delivery:
    at: float  # time.time() when the sink accepted it
    message_id: str
    to: str
    subject: str

    @property
    def outbox_id(self) -> int | None:
        match = _OUTBOX_ID.match(self.message_id)
        return int(match.group(1)) if match else None


@dataclass
class MailSink:
    host: str
    port: int
    deliveries: list[Delivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802 (aiosmtpd hook name)
        raw: bytes = envelope.content  # type: ignore[attr-defined]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        delivery = Delivery(
            time.time(),
            str(message["Message-ID"] or ""),
            str(message["To"] or ""),
            str(message["Subject"] or ""),
        )
        with self._lock:
            self.deliveries.append(delivery)
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def snapshot(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    def last_delivery_at(self) -> float:
        with self._lock:
            return self.deliveries[-1].at if self.deliveries else 0.0

    def per_outbox_id(self) -> Counter[int]:
        return Counter(d.outbox_id for d in self.snapshot() if d.outbox_id is not None)
