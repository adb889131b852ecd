"""The migration that keeps a certificate when its holder's account goes, run backwards and
forwards on a database holding a certificate with a share link (SQLite makes the table again;
PostgreSQL changes the constraint). Rows are counted, not read whole: backwards, the table has
no revocation columns."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from piccolo.apps.migrations.commands.backwards import run_backwards
from piccolo.apps.migrations.commands.forwards import run_forwards

from backend.auth.service import new_user_handle
from backend.auth.tables import Account
from backend.certificates.tables import Certificate, ShareLink
from backend.inquiries.tables import Record

pytestmark = pytest.mark.profiles

MIGRATION_ID = "2026-12-03T17:03:16:452343"


async def a_holder_with_a_shared_certificate() -> tuple[int, str]:
    account = Account(
        email=f"m-{secrets.token_hex(4)}@example.test",
        display_name="王建国",
        user_handle=new_user_handle(),
    )
    await account.save()
    record = await Record.objects().first()
    if record is None:
        record = Record(number=f"2017{secrets.randbelow(10**8):08d}.1", kind="invention")
        await record.save()
    code = f"MIGR-{secrets.token_hex(2).upper()}-TEST-{secrets.token_hex(2).upper()}"
    certificate = Certificate(
        code=code,
        record=record.id,
        holder=account.id,
        kind="invention",
        number=record.number,
        granted_on=dt.date(2024, 3, 5),
        issued_at=dt.datetime.now(dt.UTC),
    )
    await certificate.save()
    await ShareLink(
        certificate=certificate.id,
        token_hash=secrets.token_hex(32),
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
    ).save()
    return account.id, code


async def shares_of(code: str) -> int:
    return await ShareLink.count().where(ShareLink.certificate.code == code)


async def test_backwards_and_forwards_keep_the_rows_and_forwards_keeps_them_past_the_account() -> (
    None
):
    cascaded_holder, cascaded = await a_holder_with_a_shared_certificate()
    kept_holder, kept = await a_holder_with_a_shared_certificate()

    back = await run_backwards("certificates", migration_id=MIGRATION_ID, auto_agree=True)
    try:
        assert back.success, back.message
        assert await Certificate.count().where(Certificate.code.is_in([cascaded, kept])) == 2
        assert await shares_of(cascaded) == await shares_of(kept) == 1
        await Account.delete().where(Account.id == cascaded_holder)
        assert await Certificate.count().where(Certificate.code == cascaded) == 0, "as before"
    finally:
        forward = await run_forwards("certificates")
    assert forward.success, forward.message

    assert await shares_of(kept) == 1, "the share link survives the table made again"
    await Account.delete().where(Account.id == kept_holder)
    row = await Certificate.select(Certificate.holder, Certificate.revoked_reason).where(
        Certificate.code == kept
    )
    assert row == [{"holder": None, "revoked_reason": ""}]
    assert await shares_of(kept) == 1, "the database keeps them; the privacy erase removes them"
