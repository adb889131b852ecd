"""The staff queue in a phone-sized Chromium (360×740), as the demo staff member of `iph setup`
sees it (their outlet's demo matters, one overdue): the queue and a matter page fit the width and
have no axe violations, in elder mode too; the filters swap the list; a correction sent without
what is missing shows the error summary."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    PHONE,
    LiveServer,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)
from tests.browser.test_no_dead_ends import enrol_demo_staff

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def staff_cookies(server: LiveServer) -> list[dict]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        await enrol_demo_staff(client, server)
        return [
            {"name": cookie.name, "value": cookie.value, "url": server.url}
            for cookie in client.cookies.jar
        ]


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
async def test_the_staff_queue_and_a_matter_fit_a_phone_and_have_no_axe_violations(
    browser: Browser, live_server: LiveServer, elder: bool
) -> None:
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        cookies = await staff_cookies(live_server)
        if elder:
            cookies.append({"name": "iph_elder", "value": "1", "url": live_server.url})
        await context.add_cookies(cookies)
        page = await context.new_page()
        await page.goto("/staff")
        await page.get_by_role("link", name="待办事项").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("待办事项")
        await expect(page.locator("#staff-queue").get_by_text("已超期")).to_have_count(1)
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)

        await page.locator("#overdue").check()  # htmx: the list alone is swapped
        await expect(page.locator("#staff-queue .app-list__item")).to_have_count(1)
        await expect(page).to_have_url(re.compile(r"/staff/matters\?.*overdue=1"))
        await page.locator("#staff-queue a").first.click()
        await expect(page.get_by_role("heading", name="要求补正")).to_be_visible()
        # the demo holder was found in the business register when the matter was filed
        await expect(page.get_by_text("权利人已在工商登记信息中核验：")).to_be_visible()
        await expect(page.get_by_text("演示数据：本应用虚构的主体，并非真实企业。")).to_be_visible()
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)

        await page.get_by_role("button", name="要求补正").click()
        summary = page.locator(".app-error-summary")
        await expect(summary).to_contain_text("请写明缺少什么，一行一项。")
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)
    finally:
        await context.close()
