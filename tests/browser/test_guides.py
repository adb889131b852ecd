"""Guides offline in a real phone-sized Chromium: copies of opened guides with their date, the
offline search in Chinese and English, "Save all guides for offline" with its progress bar, the
newer-version notice, and the accessibility of the guide pages.

The guides are the test's own, imported into the server's database with `litestar iph import
guides` (the server's own content/guides is imported by `iph setup` as well). Offline tests stop
their server (SECURITY.md gotcha 8): they share one server of this module's own, which each test
leaves running.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.conftest import (
    LiveServer,
    MailCatcher,
    _running_server,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

OpenProfile = Callable[[LiveServer], Awaitable[BrowserContext]]
GUIDES_CACHE = "iph-guides"  # pwa/sw.js
RUN = secrets.token_hex(3)
WAIT_SECONDS = 10.0


class TestGuide:
    """A guide of the test's own: zh_Hans and en text."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, name: str, zh: tuple[str, str], en: tuple[str, str]) -> None:
        self.slug = f"browser-{name}-{RUN}"
        self.path = f"/guides/{self.slug}"
        self.zh_title, self.zh_body = zh
        self.en_title, self.en_body = en

    def write(self, folder: Path, version: int = 1, title_suffix: str = "") -> None:
        for locale, title, body in (
            ("zh_Hans", self.zh_title, self.zh_body),
            ("en", self.en_title, self.en_body),
        ):
            front = {
                "slug": self.slug,
                "title": title + title_suffix,
                "category": "patents",
                "summary": title,
                "version": version,
                "updated": "2026-11-20",
                "locale": locale,
            }
            lines = [
                f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in front.items()
            ]
            path = folder / self.slug / f"{locale}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(["---", *lines, "---", "", body, ""]), encoding="utf-8")


DEFERRAL = TestGuide(
    "deferral",
    ("测试指南：年费缓缴", "## 缓缴期限\n\n专利权人可以申请缓缴年费，缓缴期限为六个月。"),
    ("Test guide: annual fee deferral", "## Deferral period\n\nA patentee may ask for deferral."),
)
RENEWAL = TestGuide(
    "renewal",
    ("测试指南：商标续展", "## 续展期限\n\n注册商标期满前十二个月内可以办理续展。"),
    ("Test guide: trademark renewal", "## Renewal period\n\nRenew within twelve months."),
)
REDUCTION = TestGuide(
    "reduction",
    ("测试指南：费用减缴", "## 减缴条件\n\n减缴与缓缴不同，需要提交证明（测试用词：蓝鲸）。"),
    ("Test guide: fee reduction", "## Conditions\n\nA reduction is not a deferral (narwhal)."),
)
REVISED = TestGuide(
    "revised",
    ("测试指南：著录项目变更", "## 办理方式\n\n在线提交变更请求。"),
    ("Test guide: changing bibliographic data", "## How\n\nFile the request online."),
)


def import_guides(
    server: LiveServer, *guides: TestGuide, version: int = 1, suffix: str = ""
) -> None:
    with tempfile.TemporaryDirectory(prefix="iph-guides-") as folder:
        for guide in guides:
            guide.write(Path(folder), version, suffix)
        server.cli("iph", "import", "guides", folder)


@pytest.fixture(scope="module")
def offline_server(mail_catcher: MailCatcher) -> Iterator[LiveServer]:
    """This module's own server with its guides; offline tests stop it and start it again."""
    with _running_server(mail_catcher) as server:
        import_guides(server, DEFERRAL, RENEWAL, REDUCTION)
        yield server


@pytest.fixture
def server(offline_server: LiveServer) -> LiveServer:
    offline_server.start()  # running at the start of every test, whatever the last one did
    return offline_server


@pytest.fixture(scope="module")
def live_server_with_guides(live_server: LiveServer) -> LiveServer:
    import_guides(live_server, DEFERRAL, RENEWAL, REDUCTION, REVISED)
    return live_server


async def open_phone(open_profile: OpenProfile, server: LiveServer, path: str) -> Page:
    """A fresh phone profile on `path`, with the service worker in control."""
    context = await open_profile(server)
    page = context.pages[0] if context.pages else await context.new_page()
    await page.goto(path)
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return page


async def wait_until_true(page: Page, script: str, arg: object, what: str) -> None:
    """Poll an async page function (wait_for_function takes a pending Promise for true)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not await page.evaluate(script, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"not after {WAIT_SECONDS} s: {what}")
        await asyncio.sleep(0.05)


async def wait_until_kept(page: Page, path: str, lang: str = "zh-Hans") -> None:
    """Until the worker has kept `path` in the guides cache, in `lang`."""
    await wait_until_true(
        page,
        """async ([cacheName, path, lang]) => {
            const kept = await (await caches.open(cacheName)).match(path);
            return kept?.headers.get("Content-Language") === lang;
        }""",
        [GUIDES_CACHE, path, lang],
        f"{path} kept in {lang}",
    )


async def wait_until_index_covers(page: Page, guides: list[TestGuide], lang: str) -> None:
    await wait_until_true(
        page,
        """async ([cacheName, paths, lang]) => {
            const kept = await (await caches.open(cacheName)).match("/guides/search-index.json");
            const index = kept && await kept.json();
            return index?.lang === lang
                && paths.every((path) => index.guides.some((guide) => guide.url === path));
        }""",
        [GUIDES_CACHE, [guide.path for guide in guides], lang],
        f"the {lang} search index kept with {[guide.slug for guide in guides]}",
    )


async def go_offline(page: Page, server: LiveServer) -> None:
    """Cut the page's network and the worker's own: set_offline() alone does not reach the
    worker (SECURITY.md gotcha 8), a stopped server does."""
    server.stop()
    await page.context.set_offline(True)


def long_date(today: dt.date, lang: str) -> str:
    """The date as Intl.DateTimeFormat(lang, {dateStyle: "long"}) writes it."""
    if lang == "en":
        return f"{today:%B} {today.day}, {today.year}"
    return f"{today.year}年{today.month}月{today.day}日"


def result_links(page: Page):
    return page.locator("#guide-results a")


async def test_opened_guides_read_offline_with_their_date_and_a_chinese_search_finds_them(
    phone_profile: OpenProfile, server: LiveServer
) -> None:
    page = await open_phone(phone_profile, server, "/guides")
    await page.goto("/guides")  # in control now: the worker keeps it with the guides
    for guide in (DEFERRAL, RENEWAL):
        await page.goto(guide.path)
        await expect(page.locator("h1")).to_have_text(guide.zh_title)
        # Served by the network: no note.
        await expect(page.locator("[data-offline-note]")).to_be_hidden()
        await wait_until_kept(page, guide.path)
    await wait_until_index_covers(page, [DEFERRAL, RENEWAL], "zh-Hans")

    await go_offline(page, server)
    note = f"离线副本，保存于{long_date(dt.date.today(), 'zh-Hans')}"
    for guide in (DEFERRAL, RENEWAL):
        await page.goto(guide.path)
        await expect(page.locator("h1")).to_have_text(guide.zh_title)
        await expect(page.locator("[data-offline-note]")).to_have_text(note)
    await page.reload()
    await expect(page.locator("[data-offline-note]")).to_have_text(note)

    # The kept /guides searches the kept guides: REDUCTION mentions 缓缴 too, but was never opened.
    await page.goto("/guides")
    await page.locator("#guide-q").fill("缓缴")
    await page.locator("#guide-q").press("Enter")
    await expect(page.locator("#guide-results h2")).to_have_text(
        "本机保存的指南中与“缓缴”相关的：1 篇"
    )
    await expect(result_links(page)).to_have_count(1)
    await expect(result_links(page)).to_have_attribute("href", DEFERRAL.path)
    assert page.url.endswith("/guides?q=" + quote("缓缴"))
    # One character finds the guides holding it; a word of no saved guide finds none.
    for query, found in (("续", [RENEWAL]), ("期限", [DEFERRAL, RENEWAL]), ("布图", [])):
        await page.locator("#guide-q").fill(query)
        await page.locator("#guide-q").press("Enter")
        # The heading names the query once its results are shown (not the last query's).
        await expect(page.locator("#guide-results h2")).to_contain_text(f"“{query}”")
        await expect(result_links(page)).to_have_count(len(found))
        hrefs = {await link.get_attribute("href") for link in await result_links(page).all()}
        assert hrefs == {guide.path for guide in found}, query
    await expect(page.locator("#guide-results h2")).to_have_text(
        "本机保存的指南中没有与“布图”相关的内容。"
    )
    await page.locator("#guide-q").fill("缓缴")
    await page.locator("#guide-q").press("Enter")
    await result_links(page).first.click()
    await expect(page.locator("h1")).to_have_text(DEFERRAL.zh_title)
    await expect(page.locator("[data-offline-note]")).to_have_text(note)


async def test_switched_to_english_guides_are_kept_in_english_and_an_english_search_finds_them(
    phone_profile: OpenProfile, server: LiveServer
) -> None:
    page = await open_phone(phone_profile, server, "/guides")
    await page.goto(DEFERRAL.path)
    await wait_until_kept(page, DEFERRAL.path, "zh-Hans")

    await page.context.add_cookies([{"name": "iph_locale", "value": "en", "url": server.url}])
    await page.goto("/guides")
    # The Chinese copy is not shown to someone now reading English: the network answers first.
    await page.goto(DEFERRAL.path)
    await expect(page.locator("h1")).to_have_text(DEFERRAL.en_title)
    await page.goto(RENEWAL.path)
    await expect(page.locator("h1")).to_have_text(RENEWAL.en_title)
    for guide in (DEFERRAL, RENEWAL):
        await wait_until_kept(page, guide.path, "en")
    await wait_until_index_covers(page, [DEFERRAL, RENEWAL], "en")

    await go_offline(page, server)
    await page.reload()
    await expect(page.locator("h1")).to_have_text(RENEWAL.en_title)
    await expect(page.locator("[data-offline-note]")).to_have_text(
        f"Offline copy of {long_date(dt.date.today(), 'en')}"
    )
    # Offline, /guides?q=… gets the kept /guides, whose script searches the saved guides.
    await page.goto("/guides?q=" + quote("Deferral"))
    await expect(page.locator("#guide-q")).to_have_value("Deferral")
    await expect(result_links(page)).to_have_count(1)
    await expect(result_links(page)).to_have_attribute("href", DEFERRAL.path)
    await expect(page.locator("#guide-results h2")).to_have_text(
        "Saved guides matching “Deferral”: 1"
    )
    # "renew" is the beginning of a word in RENEWAL; REDUCTION was never opened.
    await page.locator("#guide-q").fill("RENEW period")
    await page.locator("#guide-q").press("Enter")
    await expect(result_links(page)).to_have_count(1)
    await expect(result_links(page)).to_have_attribute("href", RENEWAL.path)


async def test_save_all_shows_the_size_then_a_progress_bar_and_any_guide_then_reads_offline(
    phone_profile: OpenProfile, server: LiveServer
) -> None:
    page = await open_phone(phone_profile, server, "/guides")
    await page.reload()
    panel = page.locator("[data-offline-save]")
    await expect(panel).to_be_visible()
    pack = json.loads(await (await page.request.get("/guides/offline-pack.json")).text())
    count = len(pack["guides"])
    assert count >= 3

    await panel.get_by_role("button", name="保存全部指南以便离线阅读").click()
    size = panel.locator("[data-offline-size-text]")
    await expect(size).to_have_text(re.compile(rf"^指南 {count} 篇，下载约 \d+(\.\d)? ?(kB|MB)。$"))
    await expect(panel.get_by_role("button", name="下载")).to_be_focused()
    await expect_no_axe_violations(page)

    await panel.get_by_role("button", name="下载").click()
    progress = panel.get_by_role("progressbar", name="正在保存指南")
    await expect(progress).to_be_visible()
    await expect(panel.get_by_role("status")).to_have_text(
        f"已保存：{count} 篇指南现在没有网络也能阅读。"
    )
    assert await progress.evaluate("(bar) => bar.value === bar.max && bar.max > 1000")
    await expect(panel.locator("[data-offline-progress-text]")).to_have_text(
        f"已保存 {count} / {count} 篇指南…"
    )

    await go_offline(page, server)
    await page.goto(REDUCTION.path)  # never opened
    await expect(page.locator("h1")).to_have_text(REDUCTION.zh_title)
    today = long_date(dt.date.today(), "zh-Hans")
    await expect(page.locator("[data-offline-note]")).to_have_text(f"离线副本，保存于{today}")

    await page.goto("/guides/saved")
    saved = page.locator("[data-saved-guides] li")
    await expect(saved).to_have_count(count)
    for guide in (DEFERRAL, RENEWAL, REDUCTION):
        item = saved.filter(has=page.get_by_role("link", name=guide.zh_title, exact=True))
        await expect(item).to_contain_text(f"保存于{today}")
    await expect_no_axe_violations(page)
    await expect_no_horizontal_scroll(page)

    # The search index came with them: the offline search finds a guide never opened.
    await page.goto("/guides?q=" + quote("蓝鲸"))
    await expect(result_links(page)).to_have_count(1)
    await expect(result_links(page)).to_have_attribute("href", REDUCTION.path)


async def test_a_saved_guide_says_when_a_newer_version_is_published_and_refresh_shows_it(
    phone_profile: OpenProfile, live_server_with_guides: LiveServer
) -> None:
    server = live_server_with_guides
    page = await open_phone(phone_profile, server, "/guides")
    await page.goto(REVISED.path)
    await wait_until_kept(page, REVISED.path)
    article = page.locator("article[data-guide]")
    version = int(await article.get_attribute("data-guide-version") or 0)

    import_guides(server, REVISED, version=version + 1, suffix="（修订）")
    await page.goto(REVISED.path)

    # The kept copy first; the network brought the newer one in behind it.
    await expect(page.locator("h1")).to_have_text(REVISED.zh_title)
    notice = page.locator("[data-newer-notice]")
    await expect(notice).to_be_visible()
    await expect(notice).to_contain_text("本指南有新版本。")
    await expect_no_axe_violations(page)
    async with page.expect_navigation():
        await notice.get_by_role("button", name="刷新").click()
    await expect(page.locator("h1")).to_have_text(REVISED.zh_title + "（修订）")
    await expect(article).to_have_attribute("data-guide-version", str(version + 1))
    await expect(notice).to_be_hidden()


async def test_guide_pages_have_no_axe_violations_and_fit_the_phone(
    phone_profile: OpenProfile, live_server_with_guides: LiveServer
) -> None:
    page = await open_phone(phone_profile, live_server_with_guides, "/guides")
    await page.goto(DEFERRAL.path)
    await wait_until_kept(page, DEFERRAL.path)  # so that /guides/saved lists something
    for path, shown in (
        ("/guides", page.locator("[data-offline-save]")),
        ("/guides?q=" + quote("缓缴"), result_links(page).first),
        (DEFERRAL.path, page.locator("article[data-guide]")),
        ("/guides/saved", page.get_by_role("link", name=DEFERRAL.zh_title)),
    ):
        await page.goto(path)
        await expect(shown).to_be_visible()
        await expect_no_axe_violations(page)
        await expect_no_horizontal_scroll(page)
