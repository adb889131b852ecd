"""E-mail codes, recovery codes, rate limits and managing passkeys on /account."""

from __future__ import annotations

import re

import pytest

from backend.auth.tables import Account, AuditEvent, Passkey
from tests.auth.conftest import Person
from tests.conftest import serve

pytestmark = pytest.mark.profiles


async def test_the_code_mail_goes_through_smtp_and_says_how_long_it_works(
    person: Person, mailbox
) -> None:
    await person.post_form("/signup", {"email": person.email, "display_name": "李雷"})
    message = mailbox.last_to(person.email)
    assert person.last_code() in message["Subject"]
    assert "10" in message.get_content()


async def test_a_wrong_code_is_refused_and_the_fifth_wrong_try_ends_the_code(
    person: Person,
) -> None:
    await person.post_form("/signup", {"email": person.email, "display_name": "李雷"})
    good = person.last_code()
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    for _ in range(5):
        response = await person.post_form("/signin/code/verify", {"code": wrong})
        assert response.status_code == 400
        assert "验证码不正确" in response.text
    response = await person.post_form("/signin/code/verify", {"code": good})
    assert response.status_code == 400
    assert "尝试次数过多" in response.text
    assert not await Account.exists().where(Account.email == person.email)


async def test_sign_up_form_errors_are_shown_with_the_input_kept(person: Person) -> None:
    response = await person.post_form("/signup", {"email": "not-an-address", "display_name": ""})
    assert response.status_code == 400
    assert "请输入电子邮箱地址" in response.text and "请输入您的称呼" in response.text
    assert 'value="not-an-address"' in response.text
    assert 'href="#email"' in response.text


async def test_code_requests_are_rate_limited_per_address(person: Person) -> None:
    statuses = []
    for _ in range(6):
        response = await person.post_form("/signin/code", {"email": person.email})
        statuses.append(response.status_code)
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429


async def test_a_rate_limited_answer_has_retry_after_and_a_readable_page(person: Person) -> None:
    for _ in range(5):
        await person.post_form("/signin/code", {"email": person.email})
    person.client.cookies.set("iph_locale", "en")
    response = await person.post_form("/signin/code", {"email": person.email})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Too many requests" in response.text


async def test_sign_in_attempts_are_rate_limited_per_client(registered: Person) -> None:
    codes = []
    for _ in range(31):
        response = await registered.sign_in_with_passkey(tamper_signature=True)
        codes.append(response.status_code)
    assert codes[:30] == [400] * 30 and codes[30] == 429
    assert int(response.headers["retry-after"]) > 0


async def test_a_recovery_code_works_once(registered: Person) -> None:
    await registered.sign_in_with_passkey()
    page = await registered.post_form("/account/recovery-codes", {})
    codes = re.findall(r"<code>([^<]+)</code>", page.text)
    assert len(codes) == 10 and page.headers["cache-control"] == "no-store"
    await registered.sign_out()
    form = {"email": registered.email, "code": codes[3]}
    assert (await registered.post_form("/signin/recovery", form)).url.path == "/account"
    await registered.sign_out()
    again = await registered.post_form("/signin/recovery", form)
    assert again.status_code == 400
    assert not await registered.is_signed_in()
    used = await AuditEvent.count().where(
        (AuditEvent.event == "recovery-code-used") & (AuditEvent.outcome == "success")
    )
    assert used >= 1


async def test_the_last_passkey_can_be_removed_only_when_recovery_codes_exist(
    registered: Person,
) -> None:
    await registered.sign_in_with_passkey()
    account = await Account.objects().where(Account.email == registered.email).first()
    passkey = await Passkey.objects().where(Passkey.account == account.id).first()
    refused = await registered.post_form(f"/account/passkeys/{passkey.id}/remove", {})
    assert refused.status_code == 400 and "唯一的通行密钥" in refused.text
    await registered.post_form("/account/recovery-codes", {})
    removed = await registered.post_form(f"/account/passkeys/{passkey.id}/remove", {})
    assert removed.status_code == 200
    assert not await Passkey.exists().where(Passkey.id == passkey.id)


async def test_a_passkey_can_be_renamed_and_the_account_page_lists_it(registered: Person) -> None:
    await registered.sign_in_with_passkey()
    account = await Account.objects().where(Account.email == registered.email).first()
    passkey = await Passkey.objects().where(Passkey.account == account.id).first()
    page = await registered.post_form(
        f"/account/passkeys/{passkey.id}/rename", {"name": "我的手机"}
    )
    assert "我的手机" in page.text
    assert "仅保存在一台设备上" in page.text


async def test_nobody_can_rename_or_remove_another_persons_passkey(
    registered: Person, app, mailbox
) -> None:
    account = await Account.objects().where(Account.email == registered.email).first()
    passkey = await Passkey.objects().where(Passkey.account == account.id).first()
    async with serve(app) as client:
        intruder = Person(client, mailbox)
        await intruder.sign_up()
        rename = await intruder.post_form(f"/account/passkeys/{passkey.id}/rename", {"name": "x"})
        remove = await intruder.post_form(f"/account/passkeys/{passkey.id}/remove", {})
    assert rename.status_code == remove.status_code == 404
    assert (await Passkey.objects().where(Passkey.id == passkey.id).first()).name != "x"


async def test_the_activity_page_shows_the_persons_own_sign_ins(registered: Person) -> None:
    await registered.sign_in_with_passkey()
    page = await registered.client.get("/account/activity")
    assert "passkey-sign-in" in page.text
    assert "session" not in page.text.lower().replace("sign-out", "")
