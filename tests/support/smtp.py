"""A real SMTP server (aiosmtpd) for tests: it records every message it accepts."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.support.processes import free_port


@dataclass
class Inbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802 (aiosmtpd hook name)
        raw: bytes = envelope.content  # type: ignore[attr-defined]
        self.messages.append(
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[arg-type]
        )
        return "250 OK"

    async def wait_for(self, count: int, within: float = 10.0) -> list[EmailMessage]:
        deadline = asyncio.get_running_loop().time() + within
        while len(self.messages) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")
            await asyncio.sleep(0.05)
        return self.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def take(self, to: str, subject: str, within: float = 10.0) -> EmailMessage:
        """Wait for the message to `to` whose subject contains `subject`, and remove it, so
        counts of the messages a test is about stay exact."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            for message in self.messages:
                if message["To"] == to and subject in str(message["Subject"]):
                    self.messages.remove(message)
                    return message
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no message to {to} about {subject!r}")
            await asyncio.sleep(0.05)


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def reset_token_from(message: EmailMessage) -> tuple[str, str]:
    """(link, token) of a password-reset message."""
    match = re.search(r"(https?://\S+/reset\?token=([A-Za-z0-9_\-]+))", body_of(message))
    assert match, body_of(message)
    return match.group(1), match.group(2)


def verification_token_from(message: EmailMessage) -> tuple[str, str]:
    """(link, token) of an email-verification message."""
    match = re.search(r"(https?://\S+/verify\?token=([A-Za-z0-9_\-]+))", body_of(message))
    assert match, body_of(message)
    return match.group(1), match.group(2)


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox("127.0.0.1", free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
