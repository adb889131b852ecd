"""Passkey ceremonies against the running app: the good paths, and every attack refused.

Each refusal must leave the person signed out and write a failure to the audit log.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.auth.tables import Account, AuditEvent, Passkey
from tests.auth.authenticator import SoftAuthenticator, b64url_encode
from tests.auth.conftest import ORIGIN, RP_ID, Person

pytestmark = pytest.mark.profiles


async def account_of(person: Person) -> Account:
    return await Account.objects().where(Account.email == person.email).first()


async def last_failure(person: Person, event: str) -> AuditEvent | None:
    account = await account_of(person)
    return (
        await AuditEvent.objects()
        .where(
            (AuditEvent.event == event)
            & (AuditEvent.outcome == "failure")
            & (AuditEvent.actor_id == account.id)
        )
        .order_by(AuditEvent.id, ascending=False)
        .first()
    )


async def assert_refused(person: Person, response, reason: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["ok"] is False
    assert "iph_session" not in response.headers.get("set-cookie", "") or not (
        await person.is_signed_in()
    )
    assert not await person.is_signed_in()
    failure = await last_failure(person, "passkey-sign-in")
    assert failure is not None and reason in failure.target


async def test_sign_up_with_an_emailed_code_then_register_and_sign_in_with_a_passkey(
    person: Person,
) -> None:
    signed_up = await person.sign_up("王小明")
    assert signed_up.status_code == 200  # followed to /account
    assert "王小明" in signed_up.text
    assert (await person.add_passkey()).status_code == 201
    await person.sign_out()
    assert not await person.is_signed_in()
    response = await person.sign_in_with_passkey()
    assert response.status_code == 200 and response.json() == {
        "ok": True,
        "redirect": "/account",
        "message": "",
    }
    assert await person.is_signed_in()


async def test_the_passkey_request_asks_for_a_discoverable_credential_and_the_right_keys(
    person: Person,
) -> None:
    await person.sign_up()
    options = (await person.registration_options())["publicKey"]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["attestation"] == "none"
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-8, -7, -257]
    assert options["rp"]["id"] == RP_ID
    account = await account_of(person)
    assert options["user"]["id"] == account.user_handle  # 64 random bytes, not the e-mail
    assert person.email not in options["user"]["id"]


async def test_two_passkeys_on_one_account_both_sign_in(person: Person) -> None:
    await person.sign_up()
    laptop = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID, backup_eligible=True, backed_up=True)
    assert (await person.add_passkey()).status_code == 201
    person.authenticator, phone = laptop, person.authenticator
    assert (await person.add_passkey()).status_code == 201
    account = await account_of(person)
    passkeys = await Passkey.objects().where(Passkey.account == account.id)
    assert sorted(p.backed_up for p in passkeys) == [False, True]
    for authenticator in (phone, laptop):
        await person.sign_out()
        person.authenticator = authenticator
        assert (await person.sign_in_with_passkey()).status_code == 200
        assert await person.is_signed_in()


async def test_a_replayed_assertion_is_refused(registered: Person) -> None:
    options = await registered.sign_in_options()
    credential = registered.authenticator.sign_in(options["publicKey"])
    assert (await registered.answer_sign_in(options, credential)).status_code == 200
    await registered.sign_out()
    replay = await registered.answer_sign_in(options, credential)
    await assert_refused(registered, replay, "ceremony")


async def test_an_assertion_for_another_challenge_is_refused(registered: Person) -> None:
    first = await registered.sign_in_options()
    second = await registered.sign_in_options()
    credential = registered.authenticator.sign_in(first["publicKey"])
    response = await registered.answer_sign_in(second, credential)
    await assert_refused(registered, response, "challenge")


async def test_an_expired_challenge_is_refused(registered: Person, app) -> None:
    options = await registered.sign_in_options()
    credential = registered.authenticator.sign_in(options["publicKey"])
    real_clock = app.state.auth.clock
    app.state.auth.clock = lambda: real_clock() + timedelta(minutes=5, seconds=1)
    try:
        response = await registered.answer_sign_in(options, credential)
    finally:
        app.state.auth.clock = real_clock
    await assert_refused(registered, response, "expired")


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"origin": "http://evil.example"}, "origin"),
        ({"rp_id": "evil.example"}, "RP ID"),
        ({"tamper_signature": True}, "signature"),
    ],
)
async def test_a_tampered_assertion_is_refused(
    registered: Person, tamper: dict, reason: str
) -> None:
    response = await registered.sign_in_with_passkey(**tamper)
    await assert_refused(registered, response, "sign-in")
    failure = await last_failure(registered, "passkey-sign-in")
    assert reason.lower() in failure.target.lower()


async def test_an_unknown_credential_gets_the_same_answer_as_a_bad_signature(
    registered: Person,
) -> None:
    bad_signature = await registered.sign_in_with_passkey(tamper_signature=True)
    stranger = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    stranger.register(
        {
            "rp": {"id": RP_ID},
            "user": {"id": b64url_encode(b"x" * 64)},
            "challenge": b64url_encode(b"c" * 32),
        }
    )
    registered.authenticator = stranger
    unknown = await registered.sign_in_with_passkey()
    assert unknown.status_code == bad_signature.status_code == 400
    assert unknown.json() == bad_signature.json()
    assert not await registered.is_signed_in()


async def test_a_counter_going_backwards_is_refused_and_audited(registered: Person) -> None:
    assert (await registered.sign_in_with_passkey()).status_code == 200
    assert (await registered.sign_in_with_passkey()).status_code == 200  # counter now 2
    await registered.sign_out()
    response = await registered.sign_in_with_passkey(sign_count=1)
    await assert_refused(registered, response, "counter regression")


async def test_registering_an_already_registered_credential_id_is_refused(
    registered: Person, app, mailbox
) -> None:
    taken = registered.authenticator.credentials[0].id
    from tests.conftest import serve

    async with serve(app) as client:
        other = Person(client, mailbox)
        await other.sign_up()
        response = await other.add_passkey(credential_id=taken)
    assert response.status_code == 400
    assert await Passkey.count().where(Passkey.credential_id == b64url_encode(taken)) == 1


async def test_an_oversized_credential_id_is_refused(person: Person) -> None:
    await person.sign_up()
    response = await person.add_passkey(credential_id=b"\x01" * 1024)
    assert response.status_code == 400


async def test_a_staff_account_must_verify_the_user(person: Person) -> None:
    await person.sign_up()
    await Account.update({Account.role: Account.Role.staff}).where(Account.email == person.email)
    options = (await person.registration_options())["publicKey"]
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert (await person.add_passkey(user_verified=False)).status_code == 400
    person.authenticator.credentials.clear()  # the refused one was never saved
    assert (await person.add_passkey()).status_code == 201
    await person.sign_out()
    response = await person.sign_in_with_passkey(user_verified=False)
    await assert_refused(person, response, "verif")
    assert (await person.sign_in_with_passkey()).status_code == 200


async def test_a_user_handle_of_another_account_is_refused(registered: Person) -> None:
    options = await registered.sign_in_options()
    credential = registered.authenticator.sign_in(options["publicKey"])
    credential["response"]["userHandle"] = b64url_encode(b"y" * 64)
    response = await registered.answer_sign_in(options, credential)
    await assert_refused(registered, response, "user handle")
