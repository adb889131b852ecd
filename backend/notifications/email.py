"""E-mail: SMTP when IPH_SMTP_URL is set, otherwise the outbox folder and the log.

The embedded profile has no mail server, yet a person running `make run` must be able to read
the one-time code they were sent: it lands in var/outbox/*.eml and in the log.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

logger = logging.getLogger("backend.mail")


class MailSender(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{secrets.token_hex(12)}@iph>"
    message.set_content(body)
    return message


class SMTPMailSender:
    """smtp://[user:password@]host[:port] (plain, or STARTTLS when offered); smtps:// for TLS."""

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        self.hostname = parts.hostname or "127.0.0.1"
        self.use_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender

    async def send(self, to: str, subject: str, body: str) -> None:
        await aiosmtplib.send(
            _message(self.sender, to, subject, body),
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            timeout=10,
        )


class OutboxMailSender:
    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    async def send(self, to: str, subject: str, body: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
        path.write_bytes(bytes(_message(self.sender, to, subject, body)))
        # Printed for the person running the embedded profile; never done with SMTP configured.
        logger.warning("mail to %s written to %s:\n%s", to, path, body)


def mail_sender_for(smtp_url: str, sender: str, outbox: Path) -> MailSender:
    return SMTPMailSender(smtp_url, sender) if smtp_url else OutboxMailSender(outbox, sender)
