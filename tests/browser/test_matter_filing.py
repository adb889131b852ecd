"""Filing a change of address from a 360×740 phone: with htmx, without JavaScript, and offline.

A photo of the business licence comes from the file chooser, the commitment stands in for the
proof the holder has not attached, and the matter then shows in "my matters". Every step and the
review have no axe-core violations, in elder mode too. The offline test blocks the service worker
(SECURITY.md gotcha 8: `set_offline` does not cut the worker's own fetches), so that the page's
requests really fail while the context is offline.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect

from backend.inquiries.numbers import check_character
from tests.browser.conftest import (
    PHONE,
    LiveServer,
    MailCatcher,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)
from tests.browser.test_passkeys import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PATENT = f"201710601862.{check_character('201710601862')}"
MATTER_PATH = "/matters/bibliographic-change"


def a_photo(folder: Path) -> Path:
    path = folder / "licence.jpg"
    Image.new("RGB", (800, 600), "white").save(path, "JPEG")
    return path


async def checked(page: Page, axe: bool) -> None:
    if axe:
        await expect_no_horizontal_scroll(page)
        await expect_no_axe_violations(page)


async def file_change_of_address(
    page: Page, server: LiveServer, photo: Path, *, axe: bool = True, send: bool = True
) -> str:
    """From the matter's page to the review (and sent, with `send`); the matter's reference."""
    await page.goto(MATTER_PATH)
    await page.get_by_role("link", name="开始办理此事项").click()
    await page.get_by_role("button", name="现在开始").click()
    await expect(page.get_by_text("第 1 步，共 4 步")).to_be_visible()
    reference = re.search(r"/my/matters/([A-Z0-9]+)/", page.url).group(1)
    await checked(page, axe)
    await page.get_by_role("button", name="继续").click()  # nothing typed: the error summary
    await expect(page.locator(".app-error-summary")).to_be_visible()
    await checked(page, axe)
    await page.locator("#record_number").fill(PATENT)
    await page.get_by_role("button", name="继续").click()
    await expect(page.get_by_text("第 2 步，共 4 步")).to_be_visible()
    await page.get_by_label("地址", exact=True).check()
    await page.locator("#name_before").fill("测试科技有限公司")
    await page.locator("#address_after").fill("北京市海淀区知春路1号 100083")
    await checked(page, axe)
    await page.get_by_role("button", name="继续").click()
    await expect(page.get_by_text("第 3 步，共 4 步")).to_be_visible()
    await page.get_by_label("企业", exact=True).check()
    await page.locator("#credit_code").fill("91350100M000100Y43")
    await checked(page, axe)
    await page.get_by_role("button", name="继续").click()
    await expect(page.get_by_text("第 4 步，共 4 步")).to_be_visible()
    if axe:  # the phone's file chooser (scripts on)
        async with page.expect_file_chooser() as chooser:
            await page.locator("#holder_proof").click()
        await (await chooser.value).set_files(photo)
    else:  # without JavaScript Chromium's file-chooser interception never fires: set the input
        await page.locator("#holder_proof").set_input_files(photo)
    await checked(page, axe)
    await page.get_by_role("button", name="继续").click()
    await expect(page.get_by_role("heading", name="核对填写的内容")).to_be_visible()
    await expect(page.get_by_text("licence.jpg")).to_be_visible()
    await checked(page, axe)
    await page.get_by_label("我签署此告知承诺书，代替未上传的材料").check()
    if send:
        await page.get_by_role("button", name="提交", exact=True).click()
        await page.wait_for_url(re.compile(rf"/my/matters/{reference}\?sent=1$"))
    return reference


async def expect_listed(page: Page, reference: str, *, axe: bool = True) -> None:
    await page.goto("/my/matters")
    row = page.locator(".app-list__item", has_text=reference)
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("已提交")
    await checked(page, axe)


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
async def test_a_change_of_address_with_a_photo_and_the_commitment_is_filed_from_a_phone(
    browser: Browser,
    live_server: LiveServer,
    mail_catcher: MailCatcher,
    tmp_path: Path,
    elder: bool,
) -> None:
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    try:
        if elder:
            await context.add_cookies([{"name": "iph_elder", "value": "1", "url": live_server.url}])
        page = await context.new_page()
        await sign_up(
            page, live_server, mail_catcher, f"filer-{secrets.token_hex(5)}@example.com", "申请人"
        )
        reference = await file_change_of_address(page, live_server, a_photo(tmp_path))
        await expect(page.get_by_text("licence.jpg")).to_be_visible()
        await expect_listed(page, reference)
    finally:
        await context.close()


async def test_the_same_filing_works_without_javascript(
    browser: Browser, live_server: LiveServer, mail_catcher: MailCatcher, tmp_path: Path
) -> None:
    context = await browser.new_context(
        base_url=live_server.url, java_script_enabled=False, **PHONE
    )
    context.set_default_timeout(15_000)
    try:
        page = await context.new_page()
        await sign_up(
            page, live_server, mail_catcher, f"nojs-{secrets.token_hex(5)}@example.com", "申请人"
        )
        reference = await file_change_of_address(page, live_server, a_photo(tmp_path), axe=False)
        await expect_listed(page, reference, axe=False)
    finally:
        await context.close()


async def test_a_send_made_offline_is_kept_on_the_phone_and_sent_once_when_back_online(
    browser: Browser, live_server: LiveServer, mail_catcher: MailCatcher, tmp_path: Path
) -> None:
    context = await browser.new_context(base_url=live_server.url, service_workers="block", **PHONE)
    try:
        page = await context.new_page()
        await sign_up(
            page, live_server, mail_catcher, f"offline-{secrets.token_hex(5)}@example.com", "申请人"
        )
        reference = await file_change_of_address(
            page, live_server, a_photo(tmp_path), axe=False, send=False
        )
        await context.set_offline(True)
        await page.get_by_role("button", name="提交", exact=True).click()
        await expect(page.locator("#matter-offline")).to_contain_text("已保存在本机")
        await expect(page.get_by_role("button", name="立即发送")).to_be_visible()
        await context.set_offline(False)
        await page.wait_for_url(re.compile(rf"/my/matters/{reference}\?sent=1$"))
        await expect_listed(page, reference, axe=False)
    finally:
        await context.close()
