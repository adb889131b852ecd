"""The language of an account, in Chromium: a person signs up with an e-mail code, creates a
passkey with the virtual authenticator (the CDP WebAuthn domain), signs out and in again, and
every page stays in the language they signed up in; a language switched to on one phone follows
the account to another phone whose browser asks for Chinese.

The second phone is a new browser context (no cookies) whose virtual authenticator holds a copy
of the first one's credential, as a synced passkey would be.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, CDPSession, Page, expect

from tests.browser.conftest import PHONE, LiveServer, MailCatcher
from tests.browser.test_passkeys import add_virtual_authenticator, credentials_of

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

HTML_LANG = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}
# Pages of a signed-in person, with their heading in each locale.
SIGNED_IN_PAGES = {
    "/account": {"zh_Hans": "我的账号", "zh_Hant": "我的賬號", "en": "My account"},
    "/my/records": {
        "zh_Hans": "我的专利商标",
        "zh_Hant": "我的專利商標",
        "en": "My patents and trademarks",
    },
}
OpenPhone = Callable[[str], Awaitable[tuple[BrowserContext, Page]]]


def fresh_email(kind: str = "phone") -> str:
    return f"{kind}-{secrets.token_hex(6)}@example.com"


@pytest_asyncio.fixture(loop_scope="session")
async def phone_asking_for(browser: Browser, live_server: LiveServer) -> AsyncIterator[OpenPhone]:
    """Opens fresh phone contexts whose browser asks for a language (`locale`: Accept-Language)."""
    opened: list[BrowserContext] = []

    async def open_phone(browser_locale: str) -> tuple[BrowserContext, Page]:
        context = await browser.new_context(
            base_url=live_server.url, **{**PHONE, "locale": browser_locale}
        )
        opened.append(context)
        return context, await context.new_page()

    yield open_phone
    for context in opened:
        await context.close()


async def expect_language(page: Page, locale: str) -> None:
    await expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])


async def expect_signed_in_pages_in(page: Page, locale: str) -> None:
    for path, headings in SIGNED_IN_PAGES.items():
        await page.goto(path)
        await expect_language(page, locale)
        await expect(page.locator("h1")).to_have_text(headings[locale])


async def sign_up(page: Page, server: LiveServer, mail: MailCatcher, email: str) -> None:
    """The code flow, by the forms' own buttons (their labels are in the page's language)."""
    await page.goto("/signup")
    await page.locator("#email").fill(email)
    await page.locator("#display_name").fill("Lee")
    await page.locator('form[action="/signup"] button[type="submit"]').click()
    await page.wait_for_url(server.url + "/signin/code")
    await page.locator("#code").fill(await mail.code_for(email))
    await page.locator('form[action="/signin/code/verify"] button[type="submit"]').click()
    await page.wait_for_url(server.url + "/account")


async def create_passkey(page: Page) -> None:
    await page.locator("[data-passkey-register] [data-passkey-button]").click()
    await expect(page.locator("#passkeys .app-list__item")).to_have_count(1)


async def sign_out(page: Page, server: LiveServer) -> None:
    await page.goto("/account")
    await page.locator('form[action="/signout"] button[type="submit"]').click()
    await page.wait_for_url(server.url + "/")


async def sign_in_with_passkey(page: Page, server: LiveServer) -> None:
    """/signin's passkey autofill, answered at once by the virtual authenticator."""
    await page.goto("/signin")
    await page.wait_for_url(server.url + "/account")


async def switch_language(page: Page, locale: str) -> None:
    async with page.expect_navigation():
        await page.locator("#app-lang-select").select_option(locale)
    await expect_language(page, locale)


async def copy_passkey_to_new_phone(
    phone_asking_for: OpenPhone, authenticator: tuple[CDPSession, str], browser_locale: str
) -> Page:
    """Another phone (no cookies) whose authenticator holds a copy of the first one's passkey."""
    cdp, authenticator_id = authenticator
    (credential,) = await credentials_of(cdp, authenticator_id)
    context, page = await phone_asking_for(browser_locale)
    new_cdp, new_authenticator_id = await add_virtual_authenticator(context, page)
    await new_cdp.send(
        "WebAuthn.addCredential",
        {"authenticatorId": new_authenticator_id, "credential": credential},
    )
    return page


@pytest.mark.parametrize(("browser_locale", "locale"), [("en-GB", "en"), ("zh-TW", "zh_Hant")])
async def test_a_sign_up_stays_in_the_browsers_language_through_sign_out_and_passkey_sign_in(
    phone_asking_for: OpenPhone,
    live_server: LiveServer,
    mail_catcher: MailCatcher,
    browser_locale: str,
    locale: str,
) -> None:
    context, page = await phone_asking_for(browser_locale)
    await add_virtual_authenticator(context, page)
    await page.goto("/signup")
    await expect_language(page, locale)

    await sign_up(page, live_server, mail_catcher, fresh_email())
    await expect_language(page, locale)
    await create_passkey(page)
    await expect_signed_in_pages_in(page, locale)

    await sign_out(page, live_server)
    await expect_language(page, locale)
    await sign_in_with_passkey(page, live_server)
    await expect_signed_in_pages_in(page, locale)


async def test_a_switch_to_english_follows_the_account_to_a_phone_asking_for_chinese(
    phone_asking_for: OpenPhone, live_server: LiveServer, mail_catcher: MailCatcher
) -> None:
    context, page = await phone_asking_for("zh-CN")
    authenticator = await add_virtual_authenticator(context, page)
    await sign_up(page, live_server, mail_catcher, fresh_email())
    await create_passkey(page)
    await expect_signed_in_pages_in(page, "zh_Hans")
    await switch_language(page, "en")
    await sign_out(page, live_server)

    other = await copy_passkey_to_new_phone(phone_asking_for, authenticator, "zh-CN")
    await other.goto("/")
    await expect_language(other, "zh_Hans")  # this browser asks for Chinese
    await sign_in_with_passkey(other, live_server)
    await expect_signed_in_pages_in(other, "en")


async def test_enrolled_staff_keep_their_language_and_a_switch_follows_them_to_another_phone(
    phone_asking_for: OpenPhone, live_server: LiveServer
) -> None:
    email = fresh_email("staff")
    output = live_server.cli("iph", "create-staff", "--email", email).stdout
    link = output.strip().splitlines()[-1]
    assert link.startswith(live_server.url + "/enrol/"), output

    context, page = await phone_asking_for("en-GB")
    authenticator = await add_virtual_authenticator(context, page)
    await page.goto(link)
    await expect_language(page, "en")
    await expect(page.locator("h1")).to_have_text("Set up your staff sign-in")
    await page.locator("[data-passkey-register] [data-passkey-button]").click()
    await page.wait_for_url(live_server.url + "/account")
    await expect_signed_in_pages_in(page, "en")

    await sign_out(page, live_server)
    await sign_in_with_passkey(page, live_server)
    await expect_signed_in_pages_in(page, "en")
    await switch_language(page, "zh_Hant")
    await sign_out(page, live_server)

    other = await copy_passkey_to_new_phone(phone_asking_for, authenticator, "zh-CN")
    await other.goto("/")
    await expect_language(other, "zh_Hans")
    await sign_in_with_passkey(other, live_server)
    await expect_signed_in_pages_in(other, "zh_Hant")
