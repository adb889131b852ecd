"""Filing a change of address from a 360×740 phone: with htmx, without JavaScript, and offline.

A photo of the business licence comes from the file chooser, the commitment stands in for the
proof the holder has not attached, and the matter then shows in "my matters". Every step and the
review have no axe-core violations, in elder mode too.

The offline tests block the service worker (SECURITY.md gotcha 8: `set_offline` does not cut the
worker's own fetches), so that the page's requests really fail while the context is offline; the
send is then kept in the browser's IndexedDB by matters.js with its idempotency key and sent when
the connection returns. One of them loses the server's answer to that send (the request reaches
the server, the browser sees a broken connection) and sends again: still one submission.

Every wait is bounded: Playwright's own timeouts for actions and expectations, and
`asyncio.timeout` around the calls that have none (opening and closing a context, going off and
on line, axe and the other `evaluate`s), so that a stuck browser fails the test instead of
hanging the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, Request, Route, expect

from backend.inquiries.numbers import check_character
from tests.browser.conftest import (
    PHONE,
    LiveServer,
    MailCatcher,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)
from tests.browser.test_inquiries import query_database
from tests.browser.test_passkeys import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PATENT = f"201710601862.{check_character('201710601862')}"
MATTER_PATH = "/matters/bibliographic-change"
# A valid credit code the business register does not hold: the licence (or the commitment) is asked.
CREDIT_CODE = "91350100M000100Y43"
# Generous for two shared cores, but bounded: a stuck step fails in seconds, not in minutes.
ACTION_TIMEOUT_MS = 20_000
NAVIGATION_TIMEOUT_MS = 30_000
NO_TIMEOUT_OF_ITS_OWN_S = 60  # for Playwright calls that would otherwise wait for ever


def a_photo(folder: Path, name: str = "licence.jpg") -> Path:
    path = folder / name
    Image.new("RGB", (800, 600), "white").save(path, "JPEG")
    return path


@contextlib.asynccontextmanager
async def phone(
    browser: Browser, server: LiveServer, **options: Any
) -> AsyncIterator[BrowserContext]:
    """A fresh 360×740 phone context with bounded waits, closed (within a bound) afterwards."""
    async with asyncio.timeout(NO_TIMEOUT_OF_ITS_OWN_S):
        context = await browser.new_context(base_url=server.url, **PHONE, **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    try:
        yield context
    finally:
        async with asyncio.timeout(NO_TIMEOUT_OF_ITS_OWN_S):
            await context.close()


async def checked(page: Page, axe: bool) -> None:
    if axe:
        async with asyncio.timeout(NO_TIMEOUT_OF_ITS_OWN_S):  # axe runs in page.evaluate
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
    await page.get_by_label("企业", exact=True).check()
    await page.locator("#credit_code").fill(CREDIT_CODE)
    await checked(page, axe)
    await page.get_by_role("button", name="继续").click()
    await expect(page.get_by_text("第 3 步，共 4 步")).to_be_visible()
    await page.get_by_label("地址", exact=True).check()
    await page.locator("#name_before").fill("测试科技有限公司")
    await page.locator("#address_after").fill("北京市海淀区知春路1号 100083")
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


def submissions_of(server: LiveServer, reference: str) -> int:
    """How many times the matter was submitted, as its stored history says."""
    [(count,)] = query_database(
        server,
        "select count(*) from matter_event join matter on matter.id = matter_event.matter "
        "where matter.reference = ? and matter_event.action = 'submit'",
        reference,
    )
    return count


def records_under(server: LiveServer, key: str) -> int:
    """Idempotency records stored for this submission key (scope|owner|key)."""
    rows = query_database(
        server, "select natural_key from idempotency_record where natural_key like 'matter-%'"
    )
    return sum(1 for (natural_key,) in rows if natural_key.endswith(f"|{key}"))


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
    async with phone(browser, live_server) as context:
        if elder:
            await context.add_cookies([{"name": "iph_elder", "value": "1", "url": live_server.url}])
        page = await context.new_page()
        await sign_up(
            page, live_server, mail_catcher, f"filer-{secrets.token_hex(5)}@example.com", "申请人"
        )
        reference = await file_change_of_address(page, live_server, a_photo(tmp_path))
        await expect(page.get_by_text("licence.jpg")).to_be_visible()
        await expect_listed(page, reference)
        assert submissions_of(live_server, reference) == 1


async def test_the_same_filing_works_without_javascript(
    browser: Browser, live_server: LiveServer, mail_catcher: MailCatcher, tmp_path: Path
) -> None:
    async with phone(browser, live_server, java_script_enabled=False) as context:
        page = await context.new_page()
        await sign_up(
            page, live_server, mail_catcher, f"nojs-{secrets.token_hex(5)}@example.com", "申请人"
        )
        reference = await file_change_of_address(page, live_server, a_photo(tmp_path), axe=False)
        await expect_listed(page, reference, axe=False)
        assert submissions_of(live_server, reference) == 1


# The send kept on the phone, as matters.js stores it (string fields only: the review has no file).
OUTBOX = """async () => {
  // Read without creating: opening a database that does not exist would make an empty one.
  if (!(await indexedDB.databases()).some((db) => db.name === "iph-matters")) return [];
  return await new Promise((resolve, reject) => {
    const opened = indexedDB.open("iph-matters");
    opened.onerror = () => reject(opened.error);
    opened.onsuccess = () => {
      const db = opened.result;
      if (!db.objectStoreNames.contains("outbox")) { db.close(); resolve([]); return; }
      const read = db.transaction("outbox").objectStore("outbox").getAll();
      read.onerror = () => { db.close(); reject(read.error); };
      read.onsuccess = () => {
        db.close();
        resolve(read.result.map((item) => ({
          action: item.action,
          fields: Object.fromEntries(item.fields.filter(([, value]) => typeof value === "string")),
        })));
      };
    };
  });
}"""


async def outbox(page: Page) -> list[dict[str, Any]]:
    async with asyncio.timeout(NO_TIMEOUT_OF_ITS_OWN_S):
        return await page.evaluate(OUTBOX)


async def set_offline(context: BrowserContext, offline: bool) -> None:
    async with asyncio.timeout(NO_TIMEOUT_OF_ITS_OWN_S):
        await context.set_offline(offline)


def sends_seen(page: Page, reference: str) -> list[Request]:
    """Every send of this matter the page makes from now on (form posts and matters.js's)."""
    sends: list[Request] = []
    path = f"/my/matters/{reference}/send"
    page.on(
        "request",
        lambda request: (
            sends.append(request)
            if request.method == "POST" and request.url.endswith(path)
            else None
        ),
    )
    return sends


async def review_sent_offline(page: Page, reference: str) -> str:
    """Send pressed with no connection: kept on the phone with its key; the key."""
    key = await page.locator('input[name="idempotency_key"]').input_value()
    await set_offline(page.context, True)
    await page.get_by_role("button", name="提交", exact=True).click()
    await expect(page.locator("#matter-offline")).to_contain_text("已保存在本机")
    await expect(page.get_by_role("button", name="立即发送")).to_be_visible()
    [kept] = await outbox(page)
    assert kept["action"] == f"/my/matters/{reference}/send", kept
    assert kept["fields"]["idempotency_key"] == key, kept
    assert kept["fields"]["commitment"], kept  # the signed commitment kept with it
    return key


async def expect_told_once(page: Page, reference: str) -> None:
    """One message about the submission in the applicant's inbox."""
    await page.goto("/my/inbox")
    told = page.locator(".app-list__item", has_text=reference)
    await expect(told).to_have_count(1)
    await expect(told).to_contain_text("已提交")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def offline_filer(
    browser: Browser, live_server: LiveServer, mail_catcher: MailCatcher
) -> dict[str, Any]:
    """One applicant's signed-in cookies for both offline tests (each checks its own matter):
    code requests from one client are limited (20 an hour, backend/auth/limits.py) and the whole
    browser run signs up from 127.0.0.1."""
    async with phone(browser, live_server) as context:
        page = await context.new_page()
        email = f"offline-{secrets.token_hex(5)}@example.com"
        await sign_up(page, live_server, mail_catcher, email, "申请人")
        return await context.storage_state()


async def test_a_send_made_offline_is_kept_on_the_phone_and_sent_once_when_back_online(
    browser: Browser, live_server: LiveServer, offline_filer: dict[str, Any], tmp_path: Path
) -> None:
    async with phone(
        browser, live_server, service_workers="block", storage_state=offline_filer
    ) as context:
        page = await context.new_page()
        reference = await file_change_of_address(
            page, live_server, a_photo(tmp_path), axe=False, send=False
        )
        sends = sends_seen(page, reference)
        key = await review_sent_offline(page, reference)
        assert sends == []
        assert submissions_of(live_server, reference) == 0

        await set_offline(context, False)  # `online`: matters.js sends what it kept
        await page.wait_for_url(re.compile(rf"/my/matters/{reference}\?sent=1$"))
        assert await outbox(page) == []
        await expect_listed(page, reference, axe=False)
        await expect_told_once(page, reference)
        assert len(sends) == 1
        assert submissions_of(live_server, reference) == 1
        assert records_under(live_server, key) == 1


async def test_a_send_whose_answer_was_lost_is_sent_again_and_still_makes_one_submission(
    browser: Browser, live_server: LiveServer, offline_filer: dict[str, Any], tmp_path: Path
) -> None:
    async with phone(
        browser, live_server, service_workers="block", storage_state=offline_filer
    ) as context:
        page = await context.new_page()
        reference = await file_change_of_address(
            page, live_server, a_photo(tmp_path), axe=False, send=False
        )
        sends = sends_seen(page, reference)
        answers: list[int] = []
        lost = asyncio.Event()

        async def lose_the_answer(route: Route) -> None:
            # The send reaches the server, which stores it and answers; the phone never hears.
            answers.append((await route.fetch(max_redirects=0)).status)
            await route.abort("connectionreset")
            lost.set()

        await page.route(f"**/my/matters/{reference}/send", lose_the_answer, times=1)
        key = await review_sent_offline(page, reference)
        await set_offline(context, False)
        async with asyncio.timeout(NAVIGATION_TIMEOUT_MS / 1000):
            await lost.wait()
        assert answers == [303]
        assert submissions_of(live_server, reference) == 1  # stored, though the phone saw nothing
        # A broken connection is not an answer: the send stays on the phone, with its key.
        await expect(page.get_by_role("button", name="立即发送")).to_be_visible()
        [kept] = await outbox(page)
        assert kept["fields"]["idempotency_key"] == key, kept

        await page.get_by_role("button", name="立即发送").click()  # again: the stored answer
        await page.wait_for_url(re.compile(rf"/my/matters/{reference}\?sent=1$"))
        assert await outbox(page) == []
        await expect_listed(page, reference, axe=False)
        await expect_told_once(page, reference)
        assert len(sends) == 2
        assert submissions_of(live_server, reference) == 1
        assert records_under(live_server, key) == 1


async def test_a_send_kept_for_one_person_is_not_sent_under_another_and_waits_for_them(
    browser: Browser,
    live_server: LiveServer,
    offline_filer: dict[str, Any],
    mail_catcher: MailCatcher,
    tmp_path: Path,
) -> None:
    async with phone(
        browser, live_server, service_workers="block", storage_state=offline_filer
    ) as context:
        form_page = await context.new_page()
        reference = await file_change_of_address(
            form_page, live_server, a_photo(tmp_path), axe=False, send=False
        )
        sends = sends_seen(form_page, reference)
        key = await review_sent_offline(form_page, reference)
        first_session = next(c for c in await context.cookies() if c["name"] == "iph_session")
        # The first person's session ends while the phone is offline; back online, the form page
        # sends what it kept and is sent to sign in: kept.
        await context.clear_cookies(name="iph_session")
        async with form_page.expect_response(lambda r: urlsplit(r.url).path == "/signin"):
            await set_offline(context, False)
        await expect(form_page.get_by_role("button", name="立即发送")).to_be_visible()
        assert len(await outbox(form_page)) == 1 and submissions_of(live_server, reference) == 0

        # Someone else signs in on this phone: their own pages leave the kept send alone…
        page = await context.new_page()
        sends_from_next_page = sends_seen(page, reference)
        other = f"other-{secrets.token_hex(5)}@example.com"
        await sign_up(page, live_server, mail_catcher, other, "另一位申请人")
        await page.goto("/my/matters")
        await expect(page.locator("#matter-offline")).to_have_text(
            "本机保存着其他人填写的内容，将在其登录后发送。"
        )
        # …and the first person's page, still open, is refused when it sends under them.
        async with form_page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith(f"/{reference}/send")
        ) as refused:
            await form_page.get_by_role("button", name="立即发送").click()
        assert (await refused.value).status == 409
        assert (await refused.value).headers.get("x-matter-refused") == "other-person"
        [kept] = await outbox(page)
        assert kept["fields"]["idempotency_key"] == key
        assert submissions_of(live_server, reference) == 0

        # The first person signs in again: their next page sends it, once.
        await context.add_cookies([first_session])
        await page.goto("/my/matters")
        async with asyncio.timeout(NAVIGATION_TIMEOUT_MS / 1000):
            while await outbox(page):
                await page.wait_for_timeout(100)
        assert submissions_of(live_server, reference) == 1
        assert records_under(live_server, key) == 1
        assert len(sends) == 2  # the one sent to sign in, the one refused
        assert len(sends_from_next_page) == 1
