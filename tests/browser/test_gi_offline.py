"""GI offline region packs in a real phone-sized Chromium: "Save this province for offline" with
its size and progress bar, the province's list and record pages read with the network cut
("Offline copy of <date>"), the search over the saved packs by characters, pinyin and initials,
/saved with the pack and its remove button, and /saved's accessibility.

The server is the test's own (`private_server`, with the GI seed of `iph setup`): the test stops
it to cut the worker's network too (SECURITY.md gotcha 8).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    LiveServer,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)
from tests.browser.test_guides import OpenProfile, go_offline, long_date, open_phone

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PROVINCE = "110000"  # 北京市: a small pack (22 products in the seed)
PACK_CACHE = f"iph-gi-{PROVINCE}"  # gi.js: iph-gi-<province>, not named by the shell version
PRODUCT = "平谷大桃"


async def test_a_saved_province_reads_and_searches_offline_and_removing_it_frees_its_cache(
    phone_profile: OpenProfile, private_server: LiveServer
) -> None:
    server = private_server
    province_page = f"/gi?province={PROVINCE}"
    page = await open_phone(phone_profile, server, province_page)
    await page.reload()
    pack = await (await page.request.get(f"/gi/packs/{PROVINCE}.json")).json()
    count = len(pack["pages"])
    record = next(p["url"] for p in pack["products"] if p["name"] == PRODUCT)
    panel = page.locator("[data-gi-save]")
    await expect(panel).to_be_visible()

    await panel.get_by_role("button", name="保存本省份以便离线使用").click()
    size = panel.locator("[data-offline-size-text]")
    await expect(size).to_have_text(
        re.compile(rf"^北京市：共 {count} 页，下载约 \d+(\.\d)? ?(kB|MB)。$")
    )
    await expect(panel.get_by_role("button", name="下载")).to_be_focused()
    await panel.get_by_role("button", name="下载").click()
    progress = panel.get_by_role("progressbar", name="正在保存本省份")
    await expect(progress).to_be_visible()
    await expect(panel.get_by_role("status")).to_have_text(
        f"已保存：北京市的 {count} 页现在没有网络也能阅读。"
    )
    assert await progress.evaluate("(bar) => bar.value === bar.max && bar.max > 1000")
    assert PACK_CACHE in await page.evaluate("caches.keys()")

    await go_offline(page, server)
    note = f"离线副本，保存于{long_date(dt.date.today(), 'zh-Hans')}"
    await page.goto(province_page)
    await expect(page.get_by_role("link", name=PRODUCT)).to_be_visible()
    await expect(page.locator("[data-offline-note]")).to_have_text(note)
    kept = page.locator("[data-gi-save]").get_by_role("status")
    await expect(kept).to_have_text(
        re.compile(r"^北京市已保存在这部手机上（.+）。再保存一次即可更新。$")
    )
    await page.goto(record)
    await expect(page.locator("h1")).to_have_text(PRODUCT)
    await expect(page.locator("[data-offline-note]")).to_have_text(note)

    await page.goto("/saved")
    saved = page.locator("[data-saved-packs] li")
    await expect(saved).to_have_count(1)
    await expect(saved).to_contain_text("北京市")
    await expect(saved).to_contain_text(re.compile(rf"{count} 页，\d+(\.\d)? ?(kB|MB)，保存于"))
    results = page.locator("#saved-results a")
    for query in ("平谷", "pinggu", "ping gu da", "datao", "pgdt", "PGDT"):
        await page.locator("#saved-q").fill(query)
        await page.locator("#saved-q").press("Enter")
        await expect(page.locator("#saved-results h2")).to_contain_text(f"“{query}”")
        await expect(results.filter(has_text=PRODUCT)).to_have_attribute("href", record)
    await page.locator("#saved-q").fill("布达拉")
    await page.locator("#saved-q").press("Enter")
    await expect(page.locator("#saved-results h2")).to_have_text(
        "本机保存的地理标志产品中没有与“布达拉”相关的。"
    )
    await expect_no_axe_violations(page)
    await expect_no_horizontal_scroll(page)

    await saved.get_by_role("button", name="删除北京市").click()
    await expect(saved).to_have_text("已删除北京市，空间已释放。")
    assert PACK_CACHE not in await page.evaluate("caches.keys()")
