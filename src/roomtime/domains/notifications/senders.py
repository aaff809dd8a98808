"""Delivery channels. SMTP in production; without SMTP_HOST, a file drop plus a log line so a
developer can open the message (and click its link)."""

from __future__ import annotations

import uuid
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib
import httpx
import structlog

from roomtime.settings import MailSettings, Settings

log = structlog.get_logger(__name__)

SMTP_TIMEOUT_SECONDS = 10
TELEGRAM_TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """The channel refused or could not take the message; the outbox will retry."""


class EmailSender(Protocol):
    async def send(
        self, to: str, subject: str, body: str, *, message_id: str | None = None
    ) -> None: ...


def outbox_message_id(outbox_id: int, created_at: datetime) -> str:
    """The Message-ID of an outbox message, the same on every delivery attempt: when a
    deliverer dies after the server took the mail but before the row was marked sent, the
    retry is recognisably the same message (receivers drop a Message-ID they have seen)."""
    return f"<outbox-{outbox_id}-{int(created_at.timestamp() * 1_000_000)}@roomtime>"


def build_email(
    sender: str, to: str, subject: str, body: str, message_id: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@roomtime>"
    message.set_content(body)
    return message


class SmtpSender:
    def __init__(self, mail: MailSettings) -> None:
        self._mail = mail

    async def send(
        self, to: str, subject: str, body: str, *, message_id: str | None = None
    ) -> None:
        mail = self._mail
        try:
            await aiosmtplib.send(
                build_email(mail.smtp_from, to, subject, body, message_id),
                hostname=mail.smtp_host,
                port=mail.smtp_port,
                username=mail.smtp_username,
                password=mail.smtp_password,
                start_tls=mail.smtp_starttls,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300]) from exc


class FileSender:
    """Mail without an SMTP server: written to DATA_DIR/mail/*.eml, and in development also
    echoed to the log with its text."""

    def __init__(self, directory: Path, sender: str, *, log_body: bool = False) -> None:
        self._directory = directory
        self._sender = sender
        self._log_body = log_body

    async def send(
        self, to: str, subject: str, body: str, *, message_id: str | None = None
    ) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(bytes(build_email(self._sender, to, subject, body, message_id)))
        # The body may hold a reset or verification link, which is as good as the password:
        # only on a developer's machine is it shown, so that they can follow it. Elsewhere
        # (tests, staging) logs are shared, and the .eml file is there to read.
        text = {"text": body} if self._log_body else {}
        log.warning("dev_mail_written", to=to, subject=subject, file=str(path), **text)


class TelegramSender:
    """The Bot API's sendMessage. The token is part of the URL, so no error text we keep
    (outbox row, log) is ever built from the URL or from httpx's messages that quote it."""

    def __init__(self, mail: MailSettings) -> None:
        self._base = mail.telegram_api_base_url.rstrip("/")
        self._token = mail.telegram_bot_token or ""

    async def send(self, chat_id: str, text: str) -> None:
        url = f"{self._base}/bot{self._token}/sendMessage"
        try:
            async with httpx.AsyncClient(timeout=TELEGRAM_TIMEOUT_SECONDS) as client:
                response = await client.post(url, json={"chat_id": chat_id, "text": text})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"telegram: {type(exc).__name__}") from None
        if response.status_code >= 300:
            description = _telegram_description(response)
            raise DeliveryError(f"telegram: HTTP {response.status_code} {description}"[:300])


def _telegram_description(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("description", "")) if isinstance(body, dict) else ""


def telegram_sender(settings: Settings) -> TelegramSender | None:
    return TelegramSender(settings.mail) if settings.mail.telegram_bot_token else None


def email_sender(settings: Settings) -> EmailSender:
    if settings.mail.smtp_host:
        return SmtpSender(settings.mail)
    return FileSender(
        settings.app.data_dir / "mail",
        settings.mail.smtp_from,
        log_body=settings.app.environment == "development",
    )
