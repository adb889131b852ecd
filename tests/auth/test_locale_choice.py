"""The language an account gets: only a person's own choice, never the default taken silently.

Choice order (DESIGN.md): switch (cookie) > account > Accept-Language > default. A new account
keeps the language its person signed up in when their switch or their browser picked it; an
account made for someone (`create-staff`, the demo) has none until its person enrols or switches.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from backend.auth.tables import Account
from backend.cli import _enrolment_link
from backend.demo import DEMO_ACCOUNTS, load_demo_data
from tests.auth.test_staff_and_privacy import enrol
from tests.conftest import serve
from tests.people import Person

pytestmark = pytest.mark.profiles

ENGLISH = "en-GB,en;q=0.9"
TRADITIONAL = "zh-TW,zh;q=0.9"
SIMPLIFIED = "zh-CN,zh;q=0.9"
# The visible heading of /account in each locale.
MY_ACCOUNT = {"zh_Hans": "我的账号", "zh_Hant": "我的賬號", "en": "My account"}
HTML_LANG = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}


def html_lang(page: httpx.Response) -> str:
    return re.search(r'<html lang="([^"]+)"', page.text).group(1)


def assert_in_locale(page: httpx.Response, locale: str) -> None:
    assert page.status_code == 200, page.status_code
    assert html_lang(page) == HTML_LANG[locale]
    assert MY_ACCOUNT[locale] in page.text


async def chosen_locale_of(email: str) -> str | None:
    row = await Account.select(Account.chosen_locale).where(Account.email == email).first()
    return row["chosen_locale"]


@asynccontextmanager
async def on_a_new_device(
    app, person: Person, mailbox, accept_language: str
) -> AsyncIterator[Person]:
    """The same person and authenticator in a browser with no cookies, asking for a language."""
    async with serve(app) as client:
        client.headers["Accept-Language"] = accept_language
        other = Person(client, mailbox)
        other.email, other.authenticator = person.email, person.authenticator
        yield other


@pytest.mark.parametrize(
    ("accept_language", "locale"),
    [(ENGLISH, "en"), (TRADITIONAL, "zh_Hant"), (SIMPLIFIED, "zh_Hans")],
)
async def test_a_sign_up_keeps_the_language_the_browser_asked_for(
    person: Person, accept_language: str, locale: str
) -> None:
    person.client.headers["Accept-Language"] = accept_language
    page = await person.sign_up()
    assert_in_locale(page, locale)
    assert await chosen_locale_of(person.email) == locale


@pytest.mark.parametrize("accept_language", [None, "de-DE,fr;q=0.8"])
async def test_a_sign_up_in_the_default_no_one_asked_for_stores_no_language(
    person: Person, accept_language: str | None
) -> None:
    if accept_language:
        person.client.headers["Accept-Language"] = accept_language
    page = await person.sign_up()
    assert_in_locale(page, "zh_Hans")
    assert await chosen_locale_of(person.email) is None


async def test_a_sign_up_after_a_switch_keeps_the_switched_language_over_the_browsers(
    person: Person,
) -> None:
    person.client.headers["Accept-Language"] = ENGLISH
    await person.post_form("/preferences/locale", {"locale": "zh_Hant", "next": "/"})
    page = await person.sign_up()
    assert_in_locale(page, "zh_Hant")
    assert await chosen_locale_of(person.email) == "zh_Hant"


async def test_an_english_sign_up_stays_english_on_a_device_whose_browser_asks_for_chinese(
    person: Person, app, mailbox
) -> None:
    person.client.headers["Accept-Language"] = ENGLISH
    await person.sign_up()
    assert (await person.add_passkey()).status_code == 201
    async with on_a_new_device(app, person, mailbox, SIMPLIFIED) as other:
        assert (await other.sign_in_with_passkey()).status_code == 200
        assert_in_locale(await other.client.get("/account"), "en")


async def test_without_a_choice_each_device_shows_its_browsers_language(
    registered: Person, app, mailbox
) -> None:
    assert await chosen_locale_of(registered.email) is None
    for accept_language, locale in ((ENGLISH, "en"), (TRADITIONAL, "zh_Hant")):
        async with on_a_new_device(app, registered, mailbox, accept_language) as other:
            assert (await other.sign_in_with_passkey()).status_code == 200
            assert_in_locale(await other.client.get("/account"), locale)
    assert await chosen_locale_of(registered.email) is None


async def test_a_switch_while_signed_in_is_stored_and_follows_the_account(
    person: Person, app, mailbox
) -> None:
    person.client.headers["Accept-Language"] = SIMPLIFIED
    await person.sign_up()
    assert (await person.add_passkey()).status_code == 201
    await person.post_form("/preferences/locale", {"locale": "en", "next": "/account"})
    assert await chosen_locale_of(person.email) == "en"
    async with on_a_new_device(app, person, mailbox, SIMPLIFIED) as other:
        await other.sign_in_with_passkey()
        assert_in_locale(await other.client.get("/account"), "en")


async def test_create_staff_makes_an_account_without_a_language(app) -> None:
    email = "new-staff@example.test"
    link = await _enrolment_link(app, email, "staff")
    assert "/enrol/" in link
    assert await chosen_locale_of(email) is None


async def test_the_demo_accounts_have_no_language(client: httpx.AsyncClient) -> None:
    await load_demo_data()
    rows = await Account.select(Account.chosen_locale).where(
        Account.email.is_in([email for email, _, _ in DEMO_ACCOUNTS])
    )
    assert [row["chosen_locale"] for row in rows] == [None] * len(DEMO_ACCOUNTS)


async def test_staff_enrolling_keep_the_language_they_enrol_in_on_every_device(
    person: Person, app, mailbox
) -> None:
    person.client.headers["Accept-Language"] = ENGLISH
    assert (await enrol(person, app))[1].json()["ok"] is True
    assert await chosen_locale_of(person.email) == "en"
    assert_in_locale(await person.client.get("/account"), "en")
    async with on_a_new_device(app, person, mailbox, SIMPLIFIED) as other:
        await other.sign_in_with_passkey()
        assert_in_locale(await other.client.get("/account"), "en")


async def test_staff_enrolling_in_the_default_no_one_asked_for_get_no_language(
    person: Person, app
) -> None:
    assert (await enrol(person, app))[1].json()["ok"] is True
    assert await chosen_locale_of(person.email) is None


async def test_an_applicant_made_staff_keeps_the_language_they_chose_before(
    person: Person, app
) -> None:
    person.client.headers["Accept-Language"] = TRADITIONAL
    await person.sign_up()
    await person.sign_out()
    person.client.headers["Accept-Language"] = ENGLISH
    assert (await enrol(person, app))[1].json()["ok"] is True
    assert await chosen_locale_of(person.email) == "zh_Hant"
