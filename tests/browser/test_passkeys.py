"""Sign-up by e-mail code, a passkey made by Chromium's virtual authenticator (the CDP WebAuthn
domain), one-tap sign-in with it, and the accessibility of the sign-in and account pages.

The browser uses http://localhost:<port>, so the WebAuthn RP ID is `localhost`; the server sends
its mail to a real SMTP server (`mail_catcher`), where the tests read the 6-digit code.

/signin starts a conditional-mediation get() (passkey autofill) on load, and Chromium's virtual
authenticator answers such a request by itself, with its first credential, whenever it simulates
presence. To test the button, the autofill request is started with presence off, so that it stays
pending as it would on a phone until the person picks the passkey, and the button must abort it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import BrowserContext, CDPSession, Page, expect

from tests.browser.conftest import LiveServer, MailCatcher

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PASSKEY_NAME = re.compile("本设备上的通行密钥|已同步的通行密钥")
# A platform authenticator with user verification (a phone's screen lock), answering at once.
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def fresh_email() -> str:
    return f"phone-{secrets.token_hex(6)}@example.com"


async def add_virtual_authenticator(context: BrowserContext, page: Page) -> tuple[CDPSession, str]:
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})
    return cdp, added["authenticatorId"]


async def simulate_presence(cdp: CDPSession, authenticator_id: str, enabled: bool) -> None:
    await cdp.send(
        "WebAuthn.setAutomaticPresenceSimulation",
        {"authenticatorId": authenticator_id, "enabled": enabled},
    )


async def credentials_of(cdp: CDPSession, authenticator_id: str) -> list[dict[str, Any]]:
    answer = await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    return answer["credentials"]


async def sign_up(
    page: Page,
    server: LiveServer,
    mail: MailCatcher,
    email: str,
    display_name: str,
    *,
    on_code_page: Callable[[Page], Awaitable[None]] | None = None,
) -> None:
    """The code flow: /signup, the code from the e-mail on /signin/code, then /account."""
    await page.goto("/signup")
    await page.locator("#email").fill(email)
    await page.locator("#display_name").fill(display_name)
    await page.get_by_role("button", name="发送验证码").click()
    await page.wait_for_url(server.url + "/signin/code")
    if on_code_page is not None:
        await on_code_page(page)

    code = await mail.code_for(email)
    await page.locator("#code").fill(code)
    await page.locator('form[action="/signin/code/verify"] button[type="submit"]').click()
    await page.wait_for_url(server.url + "/account")
    await expect(page.get_by_text(f"{display_name} · {email}")).to_be_visible()


async def sign_out(page: Page, server: LiveServer) -> None:
    await page.get_by_role("button", name="退出登录", exact=True).click()
    await page.wait_for_url(server.url + "/")


async def expect_signed_out(page: Page) -> None:
    """/account now sends this browser to sign in (checked without loading /signin's script)."""
    response = await page.request.get("/account", max_redirects=0)
    assert response.status == 303, response.status
    assert response.headers["location"] == "/signin?next=%2Faccount", response.headers


async def test_sign_up_create_a_passkey_sign_out_and_sign_in_with_one_tap(
    context: BrowserContext,
    page: Page,
    live_server: LiveServer,
    mail_catcher: MailCatcher,
) -> None:
    cdp, authenticator_id = await add_virtual_authenticator(context, page)
    email, display_name = fresh_email(), "王小明"

    await sign_up(page, live_server, mail_catcher, email, display_name)

    passkeys = page.locator("#passkeys .app-list__item")
    await expect(passkeys).to_have_count(0)
    register = page.locator("[data-passkey-register]")
    await expect(register).to_be_visible()
    await register.get_by_role("button", name="创建通行密钥").click()
    # Saved, the page reloads to /account and lists the new passkey.
    await expect(passkeys).to_have_count(1)
    await expect(passkeys.first.locator("strong")).to_have_text(PASSKEY_NAME)
    await expect(register.locator("[data-passkey-message]")).to_have_text("")
    assert page.url == live_server.url + "/account"

    credentials = await credentials_of(cdp, authenticator_id)
    assert len(credentials) == 1, credentials
    credential = credentials[0]
    assert credential["isResidentCredential"] is True, credential
    assert credential["rpId"] == "localhost", credential
    assert credential["userHandle"], credential
    sign_count = credential["signCount"]

    await sign_out(page, live_server)
    await expect_signed_out(page)

    ceremonies: list[str] = []
    page.on("request", lambda request: ceremonies.append(request.url.removeprefix(live_server.url)))
    # The autofill request, pending until the person acts (see the module's docstring).
    await simulate_presence(cdp, authenticator_id, False)
    async with page.expect_response("**/auth/passkeys/sign-in/options"):
        await page.goto("/signin")
    # Network idle: the options have been read and the autofill get() is waiting.
    await page.wait_for_load_state("networkidle")
    await simulate_presence(cdp, authenticator_id, True)
    sign_in = page.locator("[data-passkey-sign-in]")
    await expect(sign_in).to_be_visible()
    assert page.url == live_server.url + "/signin"

    await sign_in.get_by_role("button", name="使用通行密钥登录").click()
    await page.wait_for_url(live_server.url + "/account")
    # The button's own ceremony (the second options request) signed in, once.
    assert [url for url in ceremonies if url.startswith("/auth/passkeys/")] == [
        "/auth/passkeys/sign-in/options",
        "/auth/passkeys/sign-in/options",
        "/auth/passkeys/sign-in",
    ]
    await expect(page.get_by_text(f"{display_name} · {email}")).to_be_visible()
    await expect(passkeys).to_have_count(1)

    # The one credential answered the sign-in: its counter moved, and no other was made.
    credentials = await credentials_of(cdp, authenticator_id)
    assert len(credentials) == 1, credentials
    assert credentials[0]["credentialId"] == credential["credentialId"]
    assert credentials[0]["signCount"] > sign_count, credentials

    await sign_out(page, live_server)
    await expect_signed_out(page)


async def test_passkey_autofill_signs_in_without_a_tap(
    context: BrowserContext,
    page: Page,
    live_server: LiveServer,
    mail_catcher: MailCatcher,
) -> None:
    cdp, authenticator_id = await add_virtual_authenticator(context, page)
    email, display_name = fresh_email(), "Autofill"
    await sign_up(page, live_server, mail_catcher, email, display_name)
    await page.locator("[data-passkey-register]").get_by_role("button", name="创建通行密钥").click()
    await expect(page.locator("#passkeys .app-list__item")).to_have_count(1)
    await sign_out(page, live_server)

    # With presence simulated, the virtual authenticator answers the autofill request at once,
    # as a person picking the passkey offered in the e-mail field would.
    await page.goto("/signin")
    await page.wait_for_url(live_server.url + "/account")
    await expect(page.get_by_text(f"{display_name} · {email}")).to_be_visible()
    assert len(await credentials_of(cdp, authenticator_id)) == 1
    await sign_out(page, live_server)
    await expect_signed_out(page)


async def expect_no_axe_violations(page: Page) -> None:
    results = await Axe().run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


@pytest.mark.parametrize("colour_scheme", ["light", "dark"])
async def test_sign_in_and_account_pages_have_no_axe_violations(
    context: BrowserContext,
    page: Page,
    live_server: LiveServer,
    mail_catcher: MailCatcher,
    colour_scheme: str,
) -> None:
    # With a virtual authenticator the passkey parts of the pages are shown, and checked too.
    await add_virtual_authenticator(context, page)
    await page.emulate_media(color_scheme=colour_scheme)

    await page.goto("/signin")
    await expect(page.locator("[data-passkey-sign-in]")).to_be_visible()
    await expect_no_axe_violations(page)

    await page.goto("/signup")
    await expect(page.locator("#display_name")).to_be_visible()
    await expect_no_axe_violations(page)

    # On the way, the code page too.
    await sign_up(
        page, live_server, mail_catcher, fresh_email(), "Lee", on_code_page=expect_no_axe_violations
    )
    await expect(page.locator("[data-passkey-register]")).to_be_visible()
    await expect_no_axe_violations(page)
