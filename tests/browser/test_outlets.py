"""Outlets in a phone-sized Chromium: "near me" with a position the test sets puts the nearest
outlet first; a refused permission leaves the region chooser with a plain message; the pages
fit 360 px and have no axe violations. The outlets are the seed `iph setup` loads."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    PHONE,
    LiveServer,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

CHENGDU = {"latitude": 30.66, "longitude": 104.06}  # the seed's one outlet in Sichuan
NEAREST_TO_CHENGDU = "中国（成都）知识产权保护中心"


async def test_near_me_with_a_position_puts_the_nearest_outlet_first(
    browser: Browser, live_server: LiveServer
) -> None:
    context = await browser.new_context(
        base_url=live_server.url, geolocation=CHENGDU, permissions=["geolocation"], **PHONE
    )
    try:
        page = await context.new_page()
        await page.goto("/outlets")
        await page.get_by_role("button", name="查找我附近的网点").click()
        await page.wait_for_url(re.compile(r"/outlets\?near="))
        near = parse_qs(urlsplit(page.url).query)["near"][0]
        assert near == "30.660,104.060"
        first = page.locator("#outlet-results .app-list__item").first
        await expect(first.locator("strong")).to_have_text(NEAREST_TO_CHENGDU)
        await expect(first.locator("[data-distance]")).to_contain_text("公里")
        assert (
            await first.get_by_role("link", name="在地图中打开").get_attribute("href")
        ).startswith("geo:")
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)
    finally:
        await context.close()


async def test_refusing_the_location_shows_the_region_chooser_with_a_plain_message(
    browser: Browser, live_server: LiveServer
) -> None:
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        await context.clear_permissions()
        page = await context.new_page()
        await page.goto("/outlets")
        await page.get_by_role("button", name="查找我附近的网点").click()
        message = page.locator("#near-me-message")
        await expect(message).to_be_visible()
        await expect(message).to_contain_text("请在下方选择您所在的地区")
        assert urlsplit(page.url).query == ""
        await expect(page.locator("#outlet-regions")).to_be_visible()
        await page.get_by_role("link", name=re.compile(r"^福建省 \(\d+\)$")).click()
        await page.wait_for_url(re.compile(r"province=350000"))
        await expect(page.locator("#outlet-results .app-list__item").first).to_be_visible()
    finally:
        await context.close()


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
async def test_the_outlet_pages_fit_a_phone_and_have_no_axe_violations(
    browser: Browser, live_server: LiveServer, locale: str, elder: bool
) -> None:
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        cookies = [{"name": "iph_locale", "value": locale, "url": live_server.url}]
        if elder:
            cookies.append({"name": "iph_elder", "value": "1", "url": live_server.url})
        await context.add_cookies(cookies)
        page = await context.new_page()
        await page.goto("/outlets")
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)
        await page.goto("/outlets?province=350000")
        await page.locator("#outlet-results .app-list__item a").first.click()
        await page.wait_for_url(re.compile(r"/outlets/\d+$"))
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)
    finally:
        await context.close()
