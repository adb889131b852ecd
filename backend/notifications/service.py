"""Tell a person something: the inbox always, e-mail and Web Push where they opted in.

Every message has a dedupe key, so a reminder or a status change reaches a person once even
when the job that sends it runs twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from backend.auth.tables import Account
from backend.core.database import write_transaction
from backend.notifications.email import MailSender
from backend.notifications.tables import InboxEntry, NotificationPreference

logger = logging.getLogger("backend.notifications")
KINDS = ("status", "deadline")


@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str
    link: str
    subject_key: str  # what the message is about, e.g. "record:123:event:9"


class Notifier:
    def __init__(self, mail: MailSender) -> None:
        self.mail = mail

    async def notify(self, account_id: int, message: Message) -> bool:
        """False when this person already had this message (nothing is sent again)."""
        key = f"{account_id}:{message.kind}:{message.subject_key}"[:120]
        if await InboxEntry.exists().where(InboxEntry.dedupe_key == key):
            return False
        try:
            await InboxEntry(
                account=account_id,
                kind=message.kind,
                title=message.title[:200],
                body=message.body,
                link=message.link[:300],
                dedupe_key=key,
            ).save()
        except Exception:  # unique key: a parallel run wrote it first
            if await InboxEntry.exists().where(InboxEntry.dedupe_key == key):
                return False
            raise
        await self._send_opted_in(account_id, message)
        return True

    async def _send_opted_in(self, account_id: int, message: Message) -> None:
        preference = (
            await NotificationPreference.objects()
            .where(
                (NotificationPreference.account == account_id)
                & (NotificationPreference.kind == message.kind)
            )
            .first()
        )
        if preference is None or not preference.email:
            return
        account = await Account.objects().where(Account.id == account_id).first()
        try:
            await self.mail.send(account.email, message.title, f"{message.body}\n\n{message.link}")
        except Exception:  # the inbox already has it; e-mail is best effort
            logger.exception("e-mail notification to account %s failed", account_id)


async def inbox_of(account_id: int, limit: int = 50) -> list[InboxEntry]:
    return (
        await InboxEntry.objects()
        .where(InboxEntry.account == account_id)
        .order_by(InboxEntry.created_at, ascending=False)
        .limit(limit)
    )


async def unread_count(account_id: int) -> int:
    return await InboxEntry.count().where(
        (InboxEntry.account == account_id) & InboxEntry.read_at.is_null()
    )


async def mark_all_read(account_id: int, now) -> None:
    await InboxEntry.update({InboxEntry.read_at: now}).where(
        (InboxEntry.account == account_id) & InboxEntry.read_at.is_null()
    )


async def preferences_of(account_id: int) -> dict[str, NotificationPreference]:
    rows = await NotificationPreference.objects().where(
        NotificationPreference.account == account_id
    )
    return {row.kind: row for row in rows}


async def set_preferences(account_id: int, email_kinds: set[str], push_kinds: set[str]) -> None:
    async with write_transaction(NotificationPreference._meta.db):
        await NotificationPreference.delete().where(NotificationPreference.account == account_id)
        for kind in KINDS:
            await NotificationPreference(
                account=account_id, kind=kind, email=kind in email_kinds, push=kind in push_kinds
            ).save()
