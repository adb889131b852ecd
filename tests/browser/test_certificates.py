"""E-certificate pages in a phone-sized Chromium (360×740): /my/certificates before and after
issuing one, its public /verify page and an unknown code's, with no axe violations, in each
locale and in elder mode; the supervisor's revocation page (/staff/certificates) and a revoked
certificate's /verify. The demo applicant's records are the ones `iph setup` binds."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    PHONE,
    LiveServer,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)
from tests.browser.test_no_dead_ends import enrol_demo_staff

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


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def supervisor_cookies(live_server: LiveServer) -> list[dict]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        await enrol_demo_staff(client, live_server, "supervisor@demo.iph.example", "supervisor")
        return [
            {"name": cookie.name, "value": cookie.value, "url": live_server.url}
            for cookie in client.cookies.jar
        ]


@pytest.mark.parametrize(("locale", "elder"), [("zh_Hans", False), ("en", True)])
async def test_the_revocation_page_fits_a_phone_and_has_no_axe_violations(
    browser: Browser,
    live_server: LiveServer,
    demo_applicant_state: dict,
    supervisor_cookies: list[dict],
    locale: str,
    elder: bool,
) -> None:
    """A supervisor finds a certificate the demo applicant was just issued, is refused without
    a reason (the error summary swapped in by htmx), revokes it, and /verify says why."""
    preferences = [{"name": "iph_locale", "value": locale, "url": live_server.url}]
    if elder:
        preferences.append({"name": "iph_elder", "value": "1", "url": live_server.url})
    holder = await browser.new_context(
        base_url=live_server.url, storage_state=demo_applicant_state, **PHONE
    )
    office = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        page = await holder.new_page()
        await page.goto("/my/certificates")
        async with page.expect_navigation():
            await page.locator('form[action="/my/certificates/issue"] button').first.click()
        href = await page.locator('a[href^="/verify/"]').first.get_attribute("href")
        code = href.rsplit("/", 1)[1]

        await office.add_cookies([*supervisor_cookies, *preferences])
        staff = await office.new_page()
        await staff.goto("/staff/certificates")
        await expect_no_axe_violations(staff)
        await staff.locator("#q").fill(code)
        await staff.locator("#q").press("Enter")
        revoke = staff.locator(f'form[action="/staff/certificates/{code}/revoke"]')
        await expect(revoke).to_be_visible()
        await expect_no_horizontal_scroll(staff)
        await expect_no_axe_violations(staff)

        await revoke.locator("button").click()
        await expect(staff.locator(".app-error-summary")).to_be_focused()
        await expect_no_axe_violations(staff)
        await staff.locator(f"#reason-{code}").fill("专利权已被宣告全部无效")
        await staff.locator(f'form[action="/staff/certificates/{code}/revoke"] button').click()
        await expect(staff.locator('#staff-certificates [role="status"]')).to_contain_text(code)
        await expect_no_axe_violations(staff)

        await staff.goto(f"/verify/{code}")
        await expect(staff.locator(f"#revocation-{code}")).to_contain_text("专利权已被宣告全部无效")
        await expect_no_horizontal_scroll(staff)
        await expect_no_axe_violations(staff)
    finally:
        await holder.close()
        await office.close()
