"""A matter's round trip in two phone-sized browsers (360×740): an applicant files a change of
address; the demo staff member of its outlet, in a second browser, takes it on, accepts it and
asks for a correction saying what is missing; the applicant reads that on the matter's page,
attaches what was missing and sends the correction; staff approve and complete it. After each
step the applicant's timeline shows it, the inbox has one message for each, and the completed
matter invites a rating at /rate/{reference}. The stored history is checked as well.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, MailCatcher
from tests.browser.test_inquiries import query_database
from tests.browser.test_matter_filing import a_photo, checked, file_change_of_address, phone
from tests.browser.test_passkeys import sign_up
from tests.browser.test_staff_matters import staff_cookies

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MISSING = "营业执照的清晰照片（统一社会信用代码看不清）"
# What the applicant is told of each status (notices.STATUS_NAMES), in the order they happen.
SUBMITTED = "已提交，等待办理机构受理"
ACCEPTED = "已受理，正在办理"
CORRECTION = "办理机构要求您补正"
CORRECTED = "已补正，正在办理"
APPROVED = "已批准"
COMPLETED = "已办结"


async def expect_timeline(page: Page, reference: str, *statuses: str) -> None:
    """The applicant's matter page: these steps, newest first, and the last as its status."""
    await page.goto(f"/my/matters/{reference}")
    steps = page.locator(".app-timeline__item strong")
    await expect(steps).to_have_text(list(reversed(statuses)))
    await expect(page.locator(".app-facts").first).to_contain_text(statuses[-1])


async def staff_act(page: Page, reference: str, button: str, status: str) -> None:
    """On the staff matter page, press one action's button; the page then shows the status."""
    await page.get_by_role("button", name=button, exact=True).click()
    await page.wait_for_url(re.compile(rf"/staff/matters/{reference}$"))
    await expect(page.locator(".app-facts").first).to_contain_text(status)


def history_of(server: LiveServer, reference: str) -> list[str]:
    rows = query_database(
        server,
        "select matter_event.action from matter_event join matter "
        "on matter.id = matter_event.matter where matter.reference = ? order by matter_event.id",
        reference,
    )
    return [action for (action,) in rows]


def matters_of(server: LiveServer, email: str) -> list[str]:
    rows = query_database(
        server,
        "select matter.reference from matter join account on account.id = matter.applicant "
        "where account.email = ?",
        email,
    )
    return [reference for (reference,) in rows]


async def test_a_matter_goes_from_filing_through_a_correction_to_completed_and_a_rating(
    browser: Browser, live_server: LiveServer, mail_catcher: MailCatcher, tmp_path: Path
) -> None:
    email = f"round-trip-{secrets.token_hex(5)}@example.com"
    async with (
        phone(browser, live_server) as applicant_context,
        phone(browser, live_server) as staff_context,
    ):
        applicant = await applicant_context.new_page()
        await sign_up(applicant, live_server, mail_catcher, email, "申请人")
        reference = await file_change_of_address(
            applicant, live_server, a_photo(tmp_path), axe=False
        )
        await expect_timeline(applicant, reference, SUBMITTED)

        await staff_context.add_cookies(await staff_cookies(live_server))
        staff = await staff_context.new_page()
        await staff.goto("/staff/matters")
        await staff.locator("#staff-queue a", has_text=reference).click()
        await expect(staff.locator(".app-facts").first).to_contain_text("暂无")  # taken on by
        await staff.get_by_role("button", name="由我负责办理").click()
        await expect(staff.locator(".app-facts").first).to_contain_text("李四 (demo staff)")
        await staff_act(staff, reference, "受理", "已受理")
        await expect_timeline(applicant, reference, SUBMITTED, ACCEPTED)

        await staff.locator("#request_correction-missing").fill(MISSING)
        await staff_act(staff, reference, "要求补正", "待补正")
        await expect_timeline(applicant, reference, SUBMITTED, ACCEPTED, CORRECTION)
        asked = applicant.locator(".app-timeline__item").first
        await expect(asked).to_contain_text("缺少的内容")
        await expect(asked).to_contain_text(MISSING)
        await expect(asked).to_contain_text("由办理机构")
        await expect(applicant.get_by_text("办理机构要求您补正此事项")).to_be_visible()
        await checked(applicant, axe=True)

        # The applicant attaches the clearer photo asked for, and sends the correction.
        await applicant.get_by_role("link", name="检查后重新提交").click()
        await expect(applicant.get_by_role("heading", name="核对填写的内容")).to_be_visible()
        await applicant.locator("#document-holder-proof a").click()
        await expect(applicant.get_by_text("第 4 步，共 4 步")).to_be_visible()
        async with applicant.expect_file_chooser() as chooser:
            await applicant.locator("#holder_proof").click()
        await (await chooser.value).set_files(a_photo(tmp_path, "licence-clear.jpg"))
        await applicant.get_by_role("button", name="继续").click()
        await expect(applicant.get_by_role("heading", name="核对填写的内容")).to_be_visible()
        await expect(applicant.locator("#document-holder-proof")).to_contain_text(
            "licence-clear.jpg"
        )
        await applicant.get_by_role("button", name="提交补正").click()
        await applicant.wait_for_url(re.compile(rf"/my/matters/{reference}\?sent=1$"))
        await expect_timeline(applicant, reference, SUBMITTED, ACCEPTED, CORRECTION, CORRECTED)

        await staff.reload()
        await expect(staff.locator(".app-facts").first).to_contain_text("已重新提交")
        await staff_act(staff, reference, "批准", "已批准")
        await expect_timeline(
            applicant, reference, SUBMITTED, ACCEPTED, CORRECTION, CORRECTED, APPROVED
        )
        await staff_act(staff, reference, "办结", "已办结")
        await expect(staff.get_by_role("button", name="办结", exact=True)).to_have_count(0)

        await expect_timeline(
            applicant, reference, SUBMITTED, ACCEPTED, CORRECTION, CORRECTED, APPROVED, COMPLETED
        )
        invitation = applicant.locator(".app-panel", has_text="您对我们的服务满意吗？")
        await expect(invitation).to_be_visible()
        rate = invitation.get_by_role("link", name="评价服务")
        await expect(rate).to_have_attribute("href", f"/rate/{reference}")
        await checked(applicant, axe=True)

        # Each step in the inbox too, newest first; the correction says what is missing.
        await applicant.goto("/my/inbox")
        told = applicant.locator(".app-list__item", has_text=reference)
        await expect(told).to_have_count(6)
        await expect(told.locator("strong")).to_contain_text(
            [
                f"{reference}：{status}"
                for status in (COMPLETED, APPROVED, CORRECTED, CORRECTION, ACCEPTED, SUBMITTED)
            ]
        )
        await expect(told.nth(3)).to_contain_text(f"缺少的内容：{MISSING}")

        await applicant.goto(f"/my/matters/{reference}")
        await applicant.get_by_role("link", name="评价服务").click()
        await applicant.wait_for_url(re.compile(rf"/rate/{reference}$"))
        await expect(applicant.get_by_role("heading", level=1)).to_have_text("服务怎么样？")

    assert matters_of(live_server, email) == [reference]
    assert history_of(live_server, reference) == [
        "submit",
        "accept",
        "request_correction",
        "resubmit",
        "approve",
        "complete",
    ]
