"""Records in a real phone-sized Chromium: a number typed the way people type it, the demo
applicant's "My IP" with its fee warnings and filter, and the accessibility of the record pages.

The records are the demo data `litestar iph setup` loads: 2,000 records and the demo applicant's
dozen, two of them with an annual fee that needs attention (backend/inquiries/demo.py). Numbers
are read from the live server's own database, so no test hard-codes one.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.conftest import (
    DEMO_APPLICANT,
    PHONE,
    LiveServer,
    MailCatcher,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
    sign_in_with_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

DEMO_APPLICANT_NAME = "张三 (demo applicant)"
DEMO_RECORD_COUNT = 12
# The zh_Hans wording of frontend/templates/inquiries/_deadline.html (dates in Babel's long form).
DATE = r"\d{4}年\d{1,2}月\d{1,2}日"
DUE_IN_DAYS = re.compile(rf"{DATE} 到期，还剩 (\d+) 天")
IN_GRACE_PERIOD = re.compile(rf"已于 {DATE} 逾期，宽限期至 {DATE}")
# ASCII "0".."9", "." and "X" as a Chinese input method types them: the full-width forms.
FULL_WIDTH = str.maketrans({char: chr(ord(char) + 0xFEE0) for char in "0123456789.X"})


def query_database(server: LiveServer, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the live server's SQLite database (read-only; the server keeps it open)."""
    uri = f"{(server.var_dir / 'iph.sqlite3').as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        return connection.execute(sql, params).fetchall()


def an_invention_in_force(server: LiveServer) -> tuple[str, str, list[str]]:
    """Number, title and the official statuses of its timeline, newest first (as shown)."""
    [(record_id, number, title)] = query_database(
        server,
        "select id, number, title from record where kind = 'invention' and stage = 'in_force' "
        "order by number limit 1",
    )
    statuses = query_database(
        server,
        "select official_status from status_event where record = ? "
        "order by occurred_on desc, id desc",
        record_id,
    )
    return number, title, [status for (status,) in statuses]


@pytest_asyncio.fixture(loop_scope="session")
async def demo_applicant_page(
    browser: Browser, live_server: LiveServer, demo_applicant_state: dict[str, Any]
) -> AsyncIterator[Page]:
    """A phone page already signed in as the demo applicant."""
    context = await browser.new_context(
        base_url=live_server.url, storage_state=demo_applicant_state, **PHONE
    )
    yield await context.new_page()
    await context.close()


async def my_rows(page: Page) -> list[dict[str, Any]]:
    """What each row of the My IP list shows: number, whether its stage asks for action, and
    its deadline box (state and text), if any."""
    return await page.locator("#my-list .app-list__item").evaluate_all(
        """items => items.map(item => {
            const deadline = item.querySelector(".app-deadline");
            return {
                number: item.querySelector(".app-hint").textContent.trim(),
                stageNeedsAction: item.querySelector(".app-chip--action") !== null,
                deadlineState: deadline
                    ? [...deadline.classList].find(c => c.startsWith("app-deadline--"))
                    : null,
                deadlineText: deadline ? deadline.textContent.replace(/\\s+/g, " ").trim() : "",
            };
        })"""
    )


def due_within_30_days(row: dict[str, Any]) -> bool:
    if row["deadlineState"] != "app-deadline--upcoming":
        return False
    match = DUE_IN_DAYS.search(row["deadlineText"])
    return match is not None and int(match.group(1)) <= 30


def needs_action(row: dict[str, Any]) -> bool:
    """A record the person must act on: its stage says so, or a fee or renewal is pressing."""
    return (
        row["stageNeedsAction"]
        or row["deadlineState"]
        in {"app-deadline--grace", "app-deadline--lapsed", "app-deadline--open"}
        or due_within_30_days(row)
    )


async def search_records(page: Page, typed: str) -> Locator:
    """Type into the records search box and submit; returns the result links."""
    await page.locator("#records-q").fill(typed)
    await page.get_by_role("button", name="搜索", exact=True).click()
    return page.locator("#record-results a[href^='/records/']")


async def test_a_number_typed_with_full_width_digits_and_zl_finds_the_record_and_its_timeline(
    page: Page, live_server: LiveServer
) -> None:
    number, title, statuses = an_invention_in_force(live_server)
    assert len(statuses) >= 2, statuses
    typed = "ZL" + number.translate(FULL_WIDTH)

    await page.goto("/records")
    await expect(page.locator("h1")).to_have_text("查询专利商标")
    results = await search_records(page, typed)

    # The same whether htmx sent the form and swapped the results in, or the browser did.
    await expect(results).to_have_count(1)
    await expect(results).to_have_text(title)
    await expect(page.locator("#record-results .app-hint")).to_contain_text(number)
    await expect(page.locator("#records-q")).to_have_value(typed)

    await results.click()
    await page.wait_for_url(f"{live_server.url}/records/{number}")
    await expect(page.locator("h1")).to_have_text(title)
    await expect(page.get_by_role("heading", name="进程")).to_be_visible()
    timeline = page.locator("ol.app-timeline > li.app-timeline__item")
    await expect(timeline).to_have_count(len(statuses))
    await expect(timeline.locator(".app-hint")).to_have_text(statuses)
    # The newest step is the record's current stage.
    await expect(timeline.first.locator("strong")).to_have_text("有效")


async def test_the_demo_applicant_sees_my_ip_with_the_fee_warning(
    page: Page, live_server: LiveServer, mail_catcher: MailCatcher
) -> None:
    await sign_in_with_code(page, live_server, mail_catcher, DEMO_APPLICANT)
    await expect(page.get_by_text(f"{DEMO_APPLICANT_NAME} · {DEMO_APPLICANT}")).to_be_visible()

    await page.goto("/my/records")
    await expect(page.locator("h1")).to_have_text("我的专利商标")
    items = page.locator("#my-list .app-list__item")
    await expect(items).to_have_count(DEMO_RECORD_COUNT)
    grace = items.locator(".app-deadline--grace")
    await expect(grace).to_have_count(1)
    await expect(grace).to_contain_text(IN_GRACE_PERIOD)
    await expect(grace).to_contain_text("滞纳金")
    rows = await my_rows(page)
    assert any(due_within_30_days(row) for row in rows), rows
    pressing = [row["number"] for row in rows if needs_action(row)]
    assert 2 <= len(pressing) < DEMO_RECORD_COUNT, rows

    # Ticking 待处理 filters at once (htmx, on change); the 筛选 button does it without script.
    await page.get_by_label("待处理", exact=True).check()

    await expect(items).to_have_count(len(pressing))
    filtered = await my_rows(page)
    assert [row["number"] for row in filtered] == pressing, filtered
    assert all(needs_action(row) for row in filtered), filtered
    await expect(items.locator(".app-deadline--grace")).to_have_count(1)

    # The grace-period record opens with its deadline box, timeline and documents.
    await items.filter(has=page.locator(".app-deadline--grace")).get_by_role("link").click()
    await page.wait_for_url(re.compile(r"/my/records/\d{12}\.[0-9X]$"))
    await expect(page.locator("main .app-deadline--grace")).to_contain_text(IN_GRACE_PERIOD)
    await expect(page.locator("ol.app-timeline > li")).to_have_count(2)
    await expect(page.get_by_role("heading", name="文件")).to_be_visible()
    await expect(page.get_by_text("授予专利权通知书").first).to_be_visible()


async def expect_fits_and_no_axe_violations(page: Page) -> None:
    await expect(page.locator("h1")).to_be_visible()
    await expect_no_horizontal_scroll(page)
    await expect_no_axe_violations(page)


@pytest.mark.parametrize("colour_scheme", ["light", "dark"])
async def test_record_pages_have_no_axe_violations(
    page: Page, demo_applicant_page: Page, colour_scheme: str
) -> None:
    await page.emulate_media(color_scheme=colour_scheme)
    await page.goto("/records?q=灌溉")
    results = page.locator("#record-results a[href^='/records/']")
    await expect(results.first).to_be_visible()
    await expect_fits_and_no_axe_violations(page)

    await results.first.click()
    await expect(page.locator("ol.app-timeline")).to_be_visible()
    await expect_fits_and_no_axe_violations(page)

    signed_in = demo_applicant_page
    await signed_in.emulate_media(color_scheme=colour_scheme)
    await signed_in.goto("/my/records")
    items = signed_in.locator("#my-list .app-list__item")
    await expect(items).to_have_count(DEMO_RECORD_COUNT)
    await expect_fits_and_no_axe_violations(signed_in)

    # The record with a fee in its grace period: the fullest page (deadline box, documents).
    await items.filter(has=signed_in.locator(".app-deadline--grace")).get_by_role("link").click()
    await expect(signed_in.locator("main .app-deadline--grace")).to_be_visible()
    await expect_fits_and_no_axe_violations(signed_in)
