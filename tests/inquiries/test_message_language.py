"""Messages about a record are written in each holder's chosen language; with no choice, in the
default zh_Hans (a message has no browser to ask)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.auth.tables import Account
from backend.inquiries.importer import import_file
from backend.notifications.tables import InboxEntry
from tests.conftest import serve
from tests.inquiries.test_records import new_patent_number, record_line, write_lines
from tests.people import Person

pytestmark = pytest.mark.profiles


async def test_a_status_change_reaches_each_holder_in_their_language_or_the_default(
    person: Person, tmp_path: Path, app, mailbox
) -> None:
    number = new_patent_number()
    assert (await import_file(write_lines(tmp_path / "one.jsonl", [record_line(number)]))).created
    titles = {}
    async with serve(app) as english_browser, serve(app) as staff_browser:
        english_browser.headers["Accept-Language"] = "en-GB,en;q=0.9"
        english, no_choice = Person(english_browser, mailbox), person
        for holder in (english, no_choice):
            await holder.sign_up()
            await holder.post_form("/my/records/bind", {"number": number, "code": "K7Q2M9XA"})
        staff = Person(staff_browser, mailbox)
        await staff.sign_up()
        await Account.update({Account.role: "staff"}).where(Account.email == staff.email)
        response = await staff.post_form(
            f"/staff/records/{number}/status",
            {"stage": "lapsed_restorable", "official_status": "未缴年费专利权终止,等恢复"},
        )
        assert response.status_code == 200
    for name, holder in (("english", english), ("no choice", no_choice)):
        account = await Account.objects().where(Account.email == holder.email).first()
        entry = (
            await InboxEntry.objects()
            .where((InboxEntry.account == account.id) & (InboxEntry.kind == "status"))
            .first()
        )
        titles[name] = entry.title
    assert titles["english"].startswith(f"{number} is now: ")
    assert titles["no choice"].startswith(f"{number} 当前状态：")
