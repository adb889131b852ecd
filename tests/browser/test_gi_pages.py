"""GI pages in a phone-sized Chromium (360×740): no axe violations on the list (/gi and a
province), a record with its authorised users, and the check page (empty, an authorised user's
answer, a mistyped code's answer), in each locale and in elder mode. The data is the seed
`iph setup` loads, its demo authorised users included."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from backend.geo_indications.authorised_users import demo_rows
from tests.browser.conftest import (
    PHONE,
    LiveServer,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

DEMO_CODE = demo_rows()[0]["code"]  # 郫县豆瓣's first demo entry
MISTYPED = DEMO_CODE[:-1] + ("0" if DEMO_CODE[-1] != "0" else "1")


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
async def test_the_gi_pages_fit_a_phone_and_have_no_axe_violations(
    browser: Browser, live_server: LiveServer, locale: str, elder: bool
) -> None:
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        cookies = [{"name": "iph_locale", "value": locale, "url": live_server.url}]
        if elder:
            cookies.append({"name": "iph_elder", "value": "1", "url": live_server.url})
        await context.add_cookies(cookies)
        page = await context.new_page()
        await page.goto(f"/gi/check?code={DEMO_CODE}")
        record = page.locator("#gi-check .app-list__item a").first
        await record.wait_for()
        record_href = await record.get_attribute("href")
        for path in (
            "/gi",
            "/gi?province=510000",
            record_href,
            "/gi/check",
            f"/gi/check?code={DEMO_CODE}",
            f"/gi/check?code={MISTYPED}",
        ):
            await page.goto(path)
            await expect_no_horizontal_scroll(page)
            await expect_no_axe_violations(page)
        assert await page.locator(".app-error-summary").count() == 1
        await page.goto(record_href)
        assert await page.locator('a[href="/gi/check"]').count() == 1
    finally:
        await context.close()
