"""Tell a person something: the inbox always, e-mail and Web Push where they opted in.

Every message has a dedupe key, so a reminder or a status change reaches a person once even
when the job that sends it runs twice. Each channel of an inbox entry is claimed in the database
before it is sent (`email_claimed_at`, `push_claimed_at`): a send job run again, after a worker
died between sending and recording, finds the claim and sends nothing. So a message goes out at
most once on each channel; a worker dying between the claim and the send loses that one e-mail
or push (the inbox has it). A send that fails with an error gives its claim back, so that its
retry sends it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from piccolo.columns import Timestamptz
from saq.job import TERMINAL_STATUSES

from backend.auth.tables import Account
from backend.core import database, i18n
from backend.core.database import write_transaction
from backend.core.jobs import enqueue
from backend.notifications.email import MailSender
from backend.notifications.push import PushSender
from backend.notifications.tables import InboxEntry, NotificationPreference, PushSubscription

if TYPE_CHECKING:
    from saq.queue.redis import RedisQueue

logger = logging.getLogger("backend.notifications")
KINDS = ("status", "deadline")
# Pushes in flight at once, whatever number of people a reminder run notifies.
PUSH_CONCURRENCY = 8
# Push subscriptions (browsers) one person may have; the oldest goes when one more is added.
MAX_DEVICES = 20
# The scale profile's queued jobs that send one inbox entry: to a person's devices, by e-mail.
PUSH_JOB = "push-to-devices"
EMAIL_JOB = "send-email"
# Up to MAX_DEVICES pushes, PUSH_CONCURRENCY at a time, each with the push sender's timeout.
PUSH_JOB_TIMEOUT_SECONDS = 120
# One SMTP conversation (its own timeout is 10 s a step).
EMAIL_JOB_TIMEOUT_SECONDS = 60


def _chosen(channel: str) -> str:
    """The person's choice of `channel` for the kind, as a column of the entry's insert."""
    return (
        f"(SELECT {channel} FROM {NotificationPreference._meta.tablename}"
        f" WHERE account = {{}} AND kind = {{}} LIMIT 1) AS {channel}"
    )


# Raw (database.execute), as a send's other statements in its transaction are: Piccolo's insert
# of the entry was a fifth of a send's handler in py-spy's samples under wrk. The person's
# choice of channels for the kind comes back with the entry's id: reading it after the commit
# was a round trip more (bench/README.md "Matters over HTTP", session 17).
_INSERT_ENTRY = (
    f"INSERT INTO {InboxEntry._meta.tablename}"
    " (account, kind, title, body, link, dedupe_key, created_at)"
    " VALUES ({}, {}, {}, {}, {}, {}, {})"
    " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, "
    + ", ".join(_chosen(channel) for channel in ("email", "push"))
)
# The change an inbox entry written in a transaction makes: its sends follow the commit.
RECORDED = "notifications.recorded"
# Queued sends whose sending `finish_pushes()` may wait for; older ones are not waited for.
MAX_WATCHED_SENDS = 1000


@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str
    link: str
    subject_key: str  # what the message is about, e.g. "record:123:event:9"


async def locale_of(account_id: int) -> str:
    """The language to tell this person in: the one they chose, else the default."""
    row = await Account.select(Account.chosen_locale).where(Account.id == account_id).first()
    return (row and row["chosen_locale"]) or i18n.DEFAULT_LOCALE


@dataclass(frozen=True)
class Channels:
    """An inbox entry written, and whether its person chose e-mail and push for its kind (no
    choice stored: neither)."""

    entry_id: int
    email: bool
    push: bool

    def as_subject(self) -> str:
        """The entry as the change RECORDED is said of (`database.changed`)."""
        return f"{self.entry_id}|{int(self.email)}|{int(self.push)}"

    @classmethod
    def of_subject(cls, subject: str) -> Channels:
        entry_id, email, push = subject.split("|")
        return cls(int(entry_id), email == "1", push == "1")


class Notifier:
    """Writes the inbox, and sends e-mail and pushes of each entry written.

    Sends do not hold up the caller (a staff member's request, a reminder run) in the scale
    profile: they are queued for the worker (retried with backoff, a web worker that stops loses
    none). Embedded, e-mail is sent in the caller, as before, and pushes are asyncio tasks of the
    process (a push service that cannot be reached costs a timeout, and from mainland China that
    is common). `finish_pushes()` waits for the pushes and queued sends started so far.
    """

    def __init__(
        self, mail: MailSender, push: PushSender | None = None, queue: RedisQueue | None = None
    ) -> None:
        self.mail = mail
        self.push = push
        self.queue = queue
        self._pushes: set[asyncio.Task] = set()
        self._queued_sends: dict[str, None] = {}  # job keys, oldest first
        self._push_slots = asyncio.Semaphore(PUSH_CONCURRENCY)

    async def notify(self, account_id: int, message: Message) -> bool:
        """False when this person already had this message (nothing is sent again)."""
        key = f"{account_id}:{message.kind}:{message.subject_key}"[:120]
        written = await database.execute(
            InboxEntry,
            _INSERT_ENTRY,
            account_id,
            message.kind,
            message.title[:200],
            message.body,
            message.link[:300],
            key,
            datetime.now(UTC),
            *(account_id, message.kind) * 2,
        )
        if not written:  # this person had it already (or a parallel run wrote it first)
            return False
        entry = written[0]
        chosen = Channels(entry["id"], bool(entry["email"]), bool(entry["push"]))
        engine = InboxEntry._meta.db
        wired = RECORDED in (getattr(engine, "committed_actions", None) or {})
        if wired and engine.current_transaction.get() is not None:
            # In the caller's transaction (a matter sent, say): sent once it has committed, so
            # that no e-mail or push tells of what a rollback undid (`deliver_recorded`).
            await database.changed(engine, RECORDED, chosen.as_subject())
        else:
            await self._send(chosen)
        return True

    async def deliver_recorded(self, entries: frozenset[str]) -> None:
        """The e-mails and pushes of inbox entries written in a transaction that has committed
        (wired by create_app: core/database.py `when_committed`)."""
        for entry in entries:
            await self._send(Channels.of_subject(entry))

    async def _send(self, chosen: Channels) -> None:
        """The entry's push and e-mail, each if the person chose it for the entry's kind."""
        if chosen.push and self.push is not None:
            if self.queue is None:
                task = asyncio.create_task(self._push_in_background(chosen.entry_id))
                self._pushes.add(task)
                task.add_done_callback(self._pushes.discard)
            else:
                await self._queue_send(PUSH_JOB, chosen.entry_id, PUSH_JOB_TIMEOUT_SECONDS)
        if not chosen.email:
            return
        if self.queue is not None:
            await self._queue_send(EMAIL_JOB, chosen.entry_id, EMAIL_JOB_TIMEOUT_SECONDS)
            return
        try:
            await self.email_entry(chosen.entry_id)
        except Exception:  # the inbox already has it; e-mail is best effort
            logger.exception("e-mail of inbox entry %s failed", chosen.entry_id)

    async def _queue_send(self, job_name: str, entry_id: int, timeout: float) -> None:
        try:
            job = await enqueue(self.queue, job_name, timeout=timeout, entry_id=entry_id)
        except Exception:  # the inbox already has it; the other channels are best effort
            logger.exception("%s of inbox entry %s not queued", job_name, entry_id)
            return
        if job is not None:
            self._queued_sends[job.key] = None
            while len(self._queued_sends) > MAX_WATCHED_SENDS:
                del self._queued_sends[next(iter(self._queued_sends))]

    def job_tasks(self) -> list[tuple[str, Any]]:
        """The worker's side of the queued sends: (job name, task) pairs for SAQ."""

        async def push_to_devices(ctx: dict, *, entry_id: int) -> None:
            await self.push_entry(entry_id)

        async def send_email(ctx: dict, *, entry_id: int) -> None:
            await self.email_entry(entry_id)

        return [(PUSH_JOB, push_to_devices), (EMAIL_JOB, send_email)]

    async def email_entry(self, entry_id: int) -> bool:
        """E-mail inbox entry `entry_id` to its person unless it was e-mailed (or begun) before."""
        entry = await _claim(entry_id, InboxEntry.email_claimed_at)
        if entry is None:
            logger.info("e-mail of inbox entry %s claimed before: not sent again", entry_id)
            return False
        email = (await Account.select(Account.email).where(Account.id == entry["account"]).first())[
            "email"
        ]
        try:
            await self.mail.send(email, entry["title"], f"{entry['body']}\n\n{entry['link']}")
        except Exception:  # refused, or the server unreachable: a retry sends it
            # (A cancelled send keeps its claim: the server may have taken the message.)
            await _release(entry_id, InboxEntry.email_claimed_at)
            raise
        await _mark_sent(entry_id, InboxEntry.email_sent_at)
        return True

    async def push_entry(self, entry_id: int) -> bool:
        """Push inbox entry `entry_id` to its person's devices unless pushed (or begun) before.

        A device that cannot be reached is logged, not retried: the others have it already.
        """
        entry = await _claim(entry_id, InboxEntry.push_claimed_at)
        if entry is None:
            logger.info("push of inbox entry %s claimed before: not sent again", entry_id)
            return False
        try:
            subscriptions = await PushSubscription.objects().where(
                PushSubscription.account == entry["account"]
            )
        except Exception:  # nothing pushed yet: a retry pushes it
            await _release(entry_id, InboxEntry.push_claimed_at)
            raise
        # Push services take at most 4 KB encrypted: the body is cut, the inbox has all of it.
        payload = {"title": entry["title"], "body": entry["body"][:600], "link": entry["link"]}
        await asyncio.gather(*(self._push_one(row, payload) for row in subscriptions))
        await _mark_sent(entry_id, InboxEntry.push_sent_at)
        return True

    async def _push_in_background(self, entry_id: int) -> None:
        try:
            await self.push_entry(entry_id)
        except Exception as error:  # a background task: nobody else would hear of it
            logger.warning("push of inbox entry %s failed: %r", entry_id, error)

    async def _push_one(self, subscription: PushSubscription, payload: dict[str, str]) -> None:
        try:
            async with self._push_slots:
                delivered = await self.push.send(
                    subscription.endpoint, subscription.p256dh, subscription.auth, payload
                )
            if not delivered:  # the push service says this device unsubscribed
                await PushSubscription.delete().where(PushSubscription.id == subscription.id)
        except Exception as error:  # the inbox already has it; push is best effort
            logger.warning("push to subscription %s failed: %r", subscription.id, error)

    async def finish_pushes(self, timeout: float | None = None) -> None:
        """Wait for the pushes (and queued sends) started so far; after `timeout` seconds
        cancel those left.

        Queued sends are waited for until the worker has made them (or `timeout`); those still
        queued then stay queued.
        """
        if self.queue is not None:
            await self._finish_queued_sends(timeout)
        if not self._pushes:
            return
        _, pending = await asyncio.wait(set(self._pushes), timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _finish_queued_sends(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._queued_sends:
            keys = list(self._queued_sends)
            try:
                jobs = await self.queue.jobs(keys)
            except Exception as error:  # Redis away: the sends stay queued, nothing to wait for
                logger.warning("queued sends unread: %r", error)
                return
            for key, job in zip(keys, jobs, strict=True):
                if job is None or job.status in TERMINAL_STATUSES:
                    del self._queued_sends[key]
            if not self._queued_sends or (deadline is not None and time.monotonic() > deadline):
                return
            await asyncio.sleep(0.05)


async def _claim(entry_id: int, claimed: Timestamptz) -> dict[str, Any] | None:
    """The entry, claimed for one channel now; None when that channel was claimed before."""
    rows = (
        await InboxEntry.update({claimed: datetime.now(UTC)})
        .where((InboxEntry.id == entry_id) & claimed.is_null())
        .returning(InboxEntry.account, InboxEntry.title, InboxEntry.body, InboxEntry.link)
    )
    return rows[0] if rows else None


async def _release(entry_id: int, claimed: Timestamptz) -> None:
    await InboxEntry.update({claimed: None}).where(InboxEntry.id == entry_id)


async def _mark_sent(entry_id: int, sent: Timestamptz) -> None:
    await InboxEntry.update({sent: datetime.now(UTC)}).where(InboxEntry.id == entry_id)


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


async def save_subscription(account_id: int, endpoint: str, p256dh: str, auth: str) -> None:
    """One row per endpoint (a browser profile): whoever subscribed last on it owns it.

    A person keeps their newest MAX_DEVICES subscriptions, so no account can make one message
    fan out into an unbounded number of pushes.
    """
    await PushSubscription.insert(
        PushSubscription(account=account_id, endpoint=endpoint, p256dh=p256dh, auth=auth)
    ).on_conflict(
        target=PushSubscription.endpoint,
        action="DO UPDATE",
        values=[PushSubscription.account, PushSubscription.p256dh, PushSubscription.auth],
    )
    newest_first = (
        await PushSubscription.select(PushSubscription.id)
        .where(PushSubscription.account == account_id)
        .order_by(PushSubscription.id, ascending=False)
        .output(as_list=True)
    )
    if surplus := newest_first[MAX_DEVICES:]:
        await PushSubscription.delete().where(PushSubscription.id.is_in(surplus))


async def remove_subscription(account_id: int, endpoint: str) -> None:
    await PushSubscription.delete().where(
        (PushSubscription.account == account_id) & (PushSubscription.endpoint == endpoint)
    )


async def subscription_count(account_id: int) -> int:
    return await PushSubscription.count().where(PushSubscription.account == account_id)


async def notification_data_of(account_id: int) -> dict[str, Any]:
    """What the notification tables hold about a person (for their data export). A device is
    named by its push service's host: the endpoint itself is a capability, not shown."""
    devices = await PushSubscription.select(
        PushSubscription.endpoint, PushSubscription.created_at
    ).where(PushSubscription.account == account_id)
    return {
        "preferences": await NotificationPreference.select(
            NotificationPreference.kind, NotificationPreference.email, NotificationPreference.push
        ).where(NotificationPreference.account == account_id),
        "push_devices": [
            {"push_service": urlsplit(row["endpoint"]).hostname, "created_at": row["created_at"]}
            for row in devices
        ],
        "inbox": await InboxEntry.select(
            InboxEntry.kind,
            InboxEntry.title,
            InboxEntry.body,
            InboxEntry.link,
            InboxEntry.created_at,
            InboxEntry.read_at,
        )
        .where(InboxEntry.account == account_id)
        .order_by(InboxEntry.id),
    }
