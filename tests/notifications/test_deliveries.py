"""Each channel of an inbox entry is claimed before it is sent: a send run again sends nothing
(at most once), and a send that failed gives its claim back so that its retry sends it."""

from __future__ import annotations

import secrets

import pytest

from backend.auth.service import ensure_account
from backend.auth.tables import Account
from backend.core.database import write_transaction
from backend.notifications.email import SMTPMailSender
from backend.notifications.service import Notifier, set_preferences
from backend.notifications.tables import InboxEntry
from tests.conftest import SMTP_PORT, Mailbox, _free_port
from tests.notifications.test_push import status_message

pytestmark = pytest.mark.profiles


async def someone_who_wants_email() -> tuple[int, str]:
    email = f"mail-{secrets.token_hex(4)}@example.test"
    await ensure_account(email, "收信人", Account.Role.applicant)
    account_id = (await Account.objects().where(Account.email == email).first()).id
    await set_preferences(account_id, email_kinds={"status"}, push_kinds=set())
    return account_id, email


def to(mailbox: Mailbox, email: str) -> list:
    return [message for message in mailbox.messages if message["To"] == email]


async def entry_of(account_id: int) -> InboxEntry:
    return await InboxEntry.objects().where(InboxEntry.account == account_id).first()


async def test_an_email_sent_once_is_not_sent_again_when_its_send_runs_again(
    mailbox: Mailbox,
) -> None:
    account_id, email = await someone_who_wants_email()
    notifier = Notifier(SMTPMailSender(f"smtp://127.0.0.1:{SMTP_PORT}", "IP Handheld <t@x>"))
    message = status_message("已受理")

    assert await notifier.notify(account_id, message)  # embedded: sent in the call
    entry = await entry_of(account_id)
    assert entry.email_claimed_at is not None and entry.email_sent_at is not None
    assert not await notifier.email_entry(entry.id)  # the job run again, as after a crash
    [sent] = to(mailbox, email)
    assert sent["Subject"] == "已受理"


async def test_a_send_the_server_refused_gives_its_claim_back_and_its_retry_sends_it(
    mailbox: Mailbox,
) -> None:
    account_id, email = await someone_who_wants_email()
    nowhere = SMTPMailSender(f"smtp://127.0.0.1:{_free_port()}", "IP Handheld <t@x>")
    assert await Notifier(nowhere).notify(account_id, status_message("已补正"))
    entry = await entry_of(account_id)
    assert entry.email_claimed_at is None and entry.email_sent_at is None
    assert to(mailbox, email) == []

    working = Notifier(SMTPMailSender(f"smtp://127.0.0.1:{SMTP_PORT}", "IP Handheld <t@x>"))
    assert await working.email_entry(entry.id)
    assert len(to(mailbox, email)) == 1


class RolledBack(Exception):
    pass


async def test_an_entry_written_in_a_transaction_is_sent_once_it_commits_and_not_if_rolled_back(
    client, app, mailbox: Mailbox
) -> None:
    """The app's notifier in a write transaction (a matter sent): the inbox entry is written
    with the rest, its e-mail goes once the transaction has committed; rolled back, neither."""
    notifier, engine = app.state.notify, InboxEntry._meta.db
    account_id, email = await someone_who_wants_email()
    async with write_transaction(engine):
        assert await notifier.notify(account_id, status_message("已受理"))
        await notifier.finish_pushes(timeout=5)
        assert to(mailbox, email) == [], "not before the commit"
    await notifier.finish_pushes(timeout=20)
    [sent] = to(mailbox, email)
    assert sent["Subject"] == "已受理"

    with pytest.raises(RolledBack):
        async with write_transaction(engine):
            assert await notifier.notify(account_id, status_message("已驳回"))
            raise RolledBack
    await notifier.finish_pushes(timeout=5)
    assert len(to(mailbox, email)) == 1
    assert await InboxEntry.count().where(InboxEntry.account == account_id) == 1
