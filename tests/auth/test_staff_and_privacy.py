"""Staff enrolment links, roles, the admin's audit view, export and deletion of an account."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from backend.auth.audit import RequestMeta, purge_older_than
from backend.auth.enrolment import issue_enrolment_link
from backend.auth.tables import Account, AuditEvent, Passkey, RecoveryCode
from tests.auth.authenticator import SoftAuthenticator
from tests.auth.conftest import ORIGIN, RP_ID, Person

pytestmark = pytest.mark.profiles
META = RequestMeta(client_ip="test", user_agent="pytest", request_id="-")


async def enrol(person: Person, app, role: Account.Role = Account.Role.staff, **tamper):
    token = await issue_enrolment_link(app.state.auth, person.email, role, META)
    page = await person.client.get(f"/enrol/{token}")
    assert page.status_code == 200
    options = (await person.post_json(f"/enrol/{token}/options")).json()
    credential = person.authenticator.register(options["publicKey"], **tamper)
    response = await person.post_json(
        f"/enrol/{token}", {"ceremony": options["ceremony"], "credential": credential}
    )
    return token, response


async def test_an_enrolment_link_adds_a_passkey_with_user_verification_and_signs_in(
    person: Person, app
) -> None:
    token, response = await enrol(person, app)
    assert response.status_code == 200 and response.json()["ok"] is True
    assert await person.is_signed_in()
    account = await Account.objects().where(Account.email == person.email).first()
    assert account.role == "staff"
    again = await person.client.get(f"/enrol/{token}")
    assert again.status_code == 404  # used up


async def test_an_enrolment_without_user_verification_is_refused(person: Person, app) -> None:
    _, response = await enrol(person, app, user_verified=False)
    assert response.status_code == 400
    assert not await person.is_signed_in()


async def test_an_enrolment_link_expires_after_24_hours(person: Person, app) -> None:
    token = await issue_enrolment_link(app.state.auth, person.email, Account.Role.staff, META)
    real = app.state.auth.clock
    app.state.auth.clock = lambda: real() + timedelta(hours=24, seconds=1)
    try:
        assert (await person.client.get(f"/enrol/{token}")).status_code == 404
    finally:
        app.state.auth.clock = real


async def test_promoting_an_account_is_audited_as_a_role_change(person: Person, app) -> None:
    await person.sign_up()
    await issue_enrolment_link(app.state.auth, person.email, Account.Role.supervisor, META)
    account = await Account.objects().where(Account.email == person.email).first()
    assert account.role == "supervisor"
    assert await AuditEvent.exists().where(
        (AuditEvent.event == "role-changed") & (AuditEvent.actor_id == account.id)
    )


async def test_only_an_admin_sees_the_whole_audit_log(person: Person, app) -> None:
    await person.sign_up()
    assert (await person.client.get("/admin/audit")).status_code == 403
    person.authenticator = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    await enrol(person, app, Account.Role.admin)
    page = await person.client.get("/admin/audit")
    assert page.status_code == 200 and "role-changed" in page.text


NOT_TEXT = {"id", "occurred_at"}


async def test_the_audit_log_never_holds_codes_or_session_ids(person: Person) -> None:
    await person.sign_up()
    code = person.last_code()
    session_id = person.client.cookies.get("iph_session")
    # Every field but the id and the timestamp, whose microseconds are six digits that were
    # the code by chance once in CI.
    rows = await AuditEvent.select(
        *[column for column in AuditEvent._meta.columns if column._meta.name not in NOT_TEXT]
    )
    text = json.dumps(rows, default=str)
    assert rows and code not in text and session_id not in text


async def test_the_purge_job_removes_only_entries_past_retention(app) -> None:
    now = app.state.auth.clock()
    old = AuditEvent(event="old", outcome="success", occurred_at=now - timedelta(days=185))
    recent = AuditEvent(event="recent", outcome="success", occurred_at=now - timedelta(days=183))
    await old.save()
    await recent.save()
    await purge_older_than(184, now)
    assert not await AuditEvent.exists().where(AuditEvent.id == old.id)
    assert await AuditEvent.exists().where(AuditEvent.id == recent.id)


async def test_export_downloads_the_persons_data_as_json(registered: Person) -> None:
    await registered.sign_in_with_passkey()
    response = await registered.client.get("/account/export")
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    assert data["account"]["email"] == registered.email
    assert len(data["passkeys"]) == 1
    assert any(event["event"] == "passkey-sign-in" for event in data["audit_events"])


async def test_deleting_needs_confirmation_then_removes_the_account_and_its_passkeys(
    registered: Person,
) -> None:
    await registered.sign_in_with_passkey()
    account = await Account.objects().where(Account.email == registered.email).first()
    await registered.post_form("/account/recovery-codes", {})
    page = await registered.client.get("/account/delete")
    assert "6 个月" in page.text  # says what is kept and why
    unconfirmed = await registered.post_form("/account/delete", {})
    assert unconfirmed.status_code == 400
    assert await Account.exists().where(Account.id == account.id)
    await registered.post_form("/account/delete", {"confirm": "yes"})
    assert not await Account.exists().where(Account.id == account.id)
    assert not await Passkey.exists().where(Passkey.account == account.id)
    assert not await RecoveryCode.exists().where(RecoveryCode.account == account.id)
    assert await AuditEvent.exists().where(
        (AuditEvent.event == "account-deleted") & (AuditEvent.actor_id == account.id)
    )
    assert not await registered.is_signed_in()
