"""The review figures in a phone-sized Chromium (360×740), over the reviews of
tests/reviews/scenario.py seeded into the live server: the public disclosure and the demo
supervisor's dashboard fit the width and have no axe violations, in each locale and in elder
mode; the dashboard's filters swap the table in place; an outlet's page pulls in its summary."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    PHONE,
    PROJECT_ROOT,
    LiveServer,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)
from tests.browser.test_no_dead_ends import enrol_demo_staff

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
LOCALES = ("zh_Hans", "zh_Hant", "en")


@pytest.fixture(scope="module")
def seeded_outlets(live_server: LiveServer) -> list[int]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.browser.seed_review_figures"],
        cwd=PROJECT_ROOT,
        env=live_server._environ(),  # the server's own database
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [int(number) for number in done.stdout.split()]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def supervisor_cookies(live_server: LiveServer) -> list[dict]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        await enrol_demo_staff(client, live_server, "supervisor@demo.iph.example", "supervisor")
        return [
            {"name": cookie.name, "value": cookie.value, "url": live_server.url}
            for cookie in client.cookies.jar
        ]


def preferences(server: LiveServer, locale: str, elder: bool) -> list[dict]:
    cookies = [{"name": "iph_locale", "value": locale, "url": server.url}]
    if elder:
        cookies.append({"name": "iph_elder", "value": "1", "url": server.url})
    return cookies


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("locale", LOCALES)
async def test_the_disclosure_fits_a_phone_and_has_no_axe_violations(
    browser: Browser, live_server: LiveServer, seeded_outlets: list[int], locale: str, elder: bool
) -> None:
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        await context.add_cookies(preferences(live_server, locale, elder))
        page = await context.new_page()
        await page.goto("/disclosure")
        await expect(page.locator("#disclosure-outlets")).to_be_visible()
        await expect(page.locator("#rectified-cases li").first).to_be_visible()
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)
    finally:
        await context.close()


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("locale", LOCALES)
async def test_the_dashboard_fits_a_phone_and_has_no_axe_violations(
    browser: Browser,
    live_server: LiveServer,
    seeded_outlets: list[int],
    supervisor_cookies: list[dict],
    locale: str,
    elder: bool,
) -> None:
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        await context.add_cookies([*supervisor_cookies, *preferences(live_server, locale, elder)])
        page = await context.new_page()
        await page.goto("/supervisor")
        await expect(page.locator("#figures-table")).to_be_visible()
        await expect(page.locator("svg#trend-grades polyline").first).to_be_attached()
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)
    finally:
        await context.close()


async def test_the_filters_swap_the_table_and_an_outlet_page_pulls_in_its_summary(
    browser: Browser,
    live_server: LiveServer,
    seeded_outlets: list[int],
    supervisor_cookies: list[dict],
) -> None:
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        await context.add_cookies(supervisor_cookies)
        page = await context.new_page()
        await page.goto("/supervisor")
        await page.evaluate("document.querySelector('h1').dataset.kept = 'yes'")
        await page.locator("#by").select_option("month")  # htmx: the figures alone are swapped
        await expect(page.locator('#figures-table tr[data-key="2031-04"]')).to_have_count(1)
        await expect(page).to_have_url(re.compile(r"/supervisor\?.*by=month"))
        await expect(page.locator("h1[data-kept=yes]")).to_have_count(1)  # no page load

        await page.goto(f"/outlets/{seeded_outlets[0]}")
        summary = page.locator("#outlet-reviews #outlet-review-summary")
        await expect(summary.locator('[data-figure="good"]')).to_be_visible()
        await expect_no_axe_violations(page)
    finally:
        await context.close()
