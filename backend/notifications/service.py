"""Tell a person something: the inbox always, e-mail and Web Push where they opted in.

Every message has a dedupe key, so a reminder or a status change reaches a person once even
when the job that sends it runs twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from saq.job import TERMINAL_STATUSES

from backend.auth.tables import Account
from backend.core.database import write_transaction
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
# The scale profile's queued job that sends one message to a person's devices.
PUSH_JOB = "push-to-devices"
# Up to MAX_DEVICES pushes, PUSH_CONCURRENCY at a time, each with the push sender's timeout.
PUSH_JOB_TIMEOUT_SECONDS = 120
# Queued pushes whose sending `finish_pushes()` may wait for; older ones are not waited for.
MAX_WATCHED_PUSHES = 1000


@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str
    link: str
    subject_key: str  # what the message is about, e.g. "record:123:event:9"


class Notifier:
    """Writes the inbox, sends e-mail, and starts pushes in the background.

    Pushes do not hold up the caller (a staff member's request, a reminder run): a push service
    that cannot be reached costs a timeout, and from mainland China that is common. Embedded,
    they are asyncio tasks of this process; with a job queue (the scale profile) they are
    queued for the worker, so a web worker that stops loses none. `finish_pushes()` waits for
    the ones started (or queued) so far.
    """

    def __init__(
        self, mail: MailSender, push: PushSender | None = None, queue: RedisQueue | None = None
    ) -> None:
        self.mail = mail
        self.push = push
        self.queue = queue
        self._pushes: set[asyncio.Task] = set()
        self._queued_pushes: dict[str, None] = {}  # job keys, oldest first
        self._push_slots = asyncio.Semaphore(PUSH_CONCURRENCY)

    async def notify(self, account_id: int, message: Message) -> bool:
        """False when this person already had this message (nothing is sent again)."""
        key = f"{account_id}:{message.kind}:{message.subject_key}"[:120]
        entry = InboxEntry(
            account=account_id,
            kind=message.kind,
            title=message.title[:200],
            body=message.body,
            link=message.link[:300],
            dedupe_key=key,
        )
        written = (
            await InboxEntry.insert(entry)
            .on_conflict(target=InboxEntry.dedupe_key, action="DO NOTHING")
            .returning(InboxEntry.id)
        )
        if not written:  # this person had it already (or a parallel run wrote it first)
            return False
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
        if preference is None:
            return
        if preference.push and self.push is not None:
            await self._start_push(account_id, message)
        if not preference.email:
            return
        account = await Account.objects().where(Account.id == account_id).first()
        try:
            await self.mail.send(account.email, message.title, f"{message.body}\n\n{message.link}")
        except Exception:  # the inbox already has it; e-mail is best effort
            logger.exception("e-mail notification to account %s failed", account_id)

    async def _start_push(self, account_id: int, message: Message) -> None:
        if self.queue is None:
            task = asyncio.create_task(self.push_to_devices(account_id, message))
            self._pushes.add(task)
            task.add_done_callback(self._pushes.discard)
            return
        try:
            job = await self.queue.enqueue(
                PUSH_JOB,
                account_id=account_id,
                message=dataclasses.asdict(message),
                timeout=PUSH_JOB_TIMEOUT_SECONDS,
            )
        except Exception:  # the inbox already has it; push is best effort
            logger.exception("push to account %s not queued", account_id)
            return
        if job is not None:
            self._queued_pushes[job.key] = None
            while len(self._queued_pushes) > MAX_WATCHED_PUSHES:
                del self._queued_pushes[next(iter(self._queued_pushes))]

    def job_tasks(self) -> list[tuple[str, Any]]:
        """The worker's side of the queued pushes: (job name, task) pairs for SAQ."""

        async def push_to_devices(ctx: dict, *, account_id: int, message: dict) -> None:
            await self.push_to_devices(account_id, Message(**message))

        return [(PUSH_JOB, push_to_devices)]

    async def push_to_devices(self, account_id: int, message: Message) -> None:
        try:
            subscriptions = await PushSubscription.objects().where(
                PushSubscription.account == account_id
            )
        except Exception as error:  # a background task: nobody else would hear of it
            logger.warning("push subscriptions of account %s unread: %r", account_id, error)
            return
        # Push services take at most 4 KB encrypted: the body is cut, the inbox has all of it.
        payload = {
            "title": message.title[:200],
            "body": message.body[:600],
            "link": message.link[:300],
        }
        await asyncio.gather(*(self._push_one(row, payload) for row in subscriptions))

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
        """Wait for the pushes started so far; after `timeout` seconds cancel those left.

        Queued pushes are waited for until the worker has sent them (or `timeout`); those still
        queued then stay queued.
        """
        if self.queue is not None:
            await self._finish_queued_pushes(timeout)
        if not self._pushes:
            return
        _, pending = await asyncio.wait(set(self._pushes), timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _finish_queued_pushes(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._queued_pushes:
            keys = list(self._queued_pushes)
            try:
                jobs = await self.queue.jobs(keys)
            except Exception as error:  # Redis away: the pushes stay queued, nothing to wait for
                logger.warning("queued pushes unread: %r", error)
                return
            for key, job in zip(keys, jobs, strict=True):
                if job is None or job.status in TERMINAL_STATUSES:
                    del self._queued_pushes[key]
            if not self._queued_pushes or (deadline is not None and time.monotonic() > deadline):
                return
            await asyncio.sleep(0.05)


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
