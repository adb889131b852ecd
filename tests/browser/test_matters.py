"""Matter pages in a phone-sized Chromium (360×740): the list and a matter's requirements (the
one with the most documents and a commitment) fit the width and have no axe violations, in each
locale and in elder mode; the commitment opens without JavaScript."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    PHONE,
    LiveServer,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
async def test_the_matter_pages_fit_a_phone_and_have_no_axe_violations(
    browser: Browser, live_server: LiveServer, locale: str, elder: bool
) -> None:
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        cookies = [{"name": "iph_locale", "value": locale, "url": live_server.url}]
        if elder:
            cookies.append({"name": "iph_elder", "value": "1", "url": live_server.url})
        await context.add_cookies(cookies)
        page = await context.new_page()
        for path in ("/matters", "/matters/trademark-change"):
            await page.goto(path)
            await expect_no_horizontal_scroll(page)
            await expect_no_axe_violations(page)
        await page.locator("details summary").click()
        await expect(page.locator("details p")).to_be_visible()
        await expect_no_axe_violations(page)
    finally:
        await context.close()


async def test_the_matter_pages_read_the_same_without_javascript(
    browser: Browser, live_server: LiveServer
) -> None:
    context = await browser.new_context(
        base_url=live_server.url, java_script_enabled=False, **PHONE
    )
    try:
        page = await context.new_page()
        await page.goto("/matters")
        await page.get_by_role("link", name="注册商标续展").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("注册商标续展")
        await page.locator("details summary").click()
        await expect(page.locator("details p")).to_be_visible()
    finally:
        await context.close()
