"""The home page's search box in a phone-sized Chromium, with scripts and without: a phrase
lists its groups, a number typed the way people type it opens its record."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import PHONE, LiveServer, expect_no_horizontal_scroll
from tests.browser.test_inquiries import FULL_WIDTH, an_invention_in_force

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def search_from_home(page: Page, query: str) -> None:
    await page.goto("/")
    await page.locator("#search-q").fill(query)
    await page.locator(".app-search__button").click()


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
async def test_annual_fee_on_the_home_page_lists_the_annual_fee_guides(
    browser: Browser, live_server: LiveServer, scripts: bool
) -> None:
    context = await browser.new_context(
        **PHONE, base_url=live_server.url, java_script_enabled=scripts
    )
    try:
        page = await context.new_page()
        await search_from_home(page, "年费")
        guides = page.locator("#results-guides").locator("xpath=..")
        await expect(guides.get_by_role("link", name="专利年费", exact=False).first).to_be_visible()
        await expect(page).to_have_url(re.compile(r"/search\?q=%E5%B9%B4%E8%B4%B9"))
        await expect_no_horizontal_scroll(page)
    finally:
        await context.close()


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
async def test_a_number_typed_on_the_home_page_opens_its_record(
    browser: Browser, live_server: LiveServer, scripts: bool
) -> None:
    number, title, _ = an_invention_in_force(live_server)
    context = await browser.new_context(
        **PHONE, base_url=live_server.url, java_script_enabled=scripts
    )
    try:
        page = await context.new_page()
        await search_from_home(page, f"ZL {number}".translate(FULL_WIDTH))
        await expect(page).to_have_url(f"{live_server.url}/records/{number}")
        await expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    finally:
        await context.close()
