"""E-certificate pages in a phone-sized Chromium (360×740): /my/certificates before and after
issuing one, its public /verify page and an unknown code's, with no axe violations, in each
locale and in elder mode. The demo applicant's records are the ones `iph setup` binds."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.browser.conftest import (
    PHONE,
    LiveServer,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
async def test_the_certificate_pages_fit_a_phone_and_have_no_axe_violations(
    browser: Browser, live_server: LiveServer, demo_applicant_state: dict, locale: str, elder: bool
) -> None:
    cookies = [{"name": "iph_locale", "value": locale, "url": live_server.url}]
    if elder:
        cookies.append({"name": "iph_elder", "value": "1", "url": live_server.url})
    holder = await browser.new_context(
        base_url=live_server.url, storage_state=demo_applicant_state, **PHONE
    )
    visitor = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        await holder.add_cookies(cookies)
        await visitor.add_cookies(cookies)
        page = await holder.new_page()
        await page.goto("/my/certificates")
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)

        async with page.expect_navigation():
            await page.locator('form[action="/my/certificates/issue"] button').first.click()
        verify_link = page.locator('a[href^="/verify/"]').first
        await verify_link.wait_for()
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)
        verify_path = await verify_link.get_attribute("href")

        public = await visitor.new_page()
        for path in (verify_path, "/verify/ABCD-EFGH-JKLM-NPQR", "/verify"):
            await public.goto(path)
            await expect_no_horizontal_scroll(public)
            await expect_no_axe_violations(public)
        await public.goto(verify_path)
        assert await public.locator("code").first.inner_text() != ""
        assert await public.locator('input[type="file"][name="pdf"]').count() == 1
    finally:
        await holder.close()
        await visitor.close()
