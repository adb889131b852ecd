"""Elder mode (长辈版) on every page, in a real 360 px phone-sized Chromium: every text at least
24 px (18 pt), every tappable thing at least 60×60 px or the full width of its row, and no
horizontal scroll (DOMAIN.md, "Age-friendly design").

The pages are found the way a person finds them: the same-origin links of the home page and of a
few entry pages (a record search, a site search, sign-in, sign-up, offline), followed two levels
deep, and, signed in as the demo applicant, the links of their own pages. Links that answer 404
lead to features not built yet (a crawl test of its own covers them) and are skipped, as is
anything that is not an HTML page (a data export, JSON). Pages of the same shape (one guide,
another guide) are measured a few at a time, not all.

One `page.evaluate` measures a whole page; every offender of every page is collected before
the test fails, so one run lists all that is wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext

from tests.browser.conftest import PHONE, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

LOCALE_COOKIE = "iph_locale"
ELDER_COOKIE = "iph_elder"
# English words are longer than Chinese ones: an overflow shows there first.
LOCALES = ("zh_Hans", "zh_Hant", "en")
MIN_FONT_PX = 24  # 18 pt
MIN_TARGET_PX = 60
# Where a person starts; the links of these pages are followed MAX_DEPTH levels.
PUBLIC_ENTRY_PAGES = (
    "/",
    "/guides",
    "/guides/saved",
    "/gi",
    "/gi/check?code=" + quote("91510100DEM0000014"),
    "/records?q=" + quote("一种"),
    "/search?q=" + quote("年费"),
    "/signin",
    "/signup",
    "/offline",
)
PERSONAL_ENTRY_PAGES = ("/account", "/my/records", "/my/inbox")
# Signed in, only the person's own pages are followed (the public ones are measured signed out).
PERSONAL_PREFIXES = ("/account", "/my/")
MAX_DEPTH = 2
PAGES_PER_SHAPE = 3
# Not pages of the service: files, JSON, and the API reference for developers (/schema, drawn by
# Swagger UI in its own styles).
NOT_PAGES = (
    "/static/",
    "/icons/",
    "/marks/",
    "/api/",
    "/schema",
    "/sw.js",
    "/manifest.webmanifest",
)

# Measures one page: returns its same-origin links and what breaks the elder-mode rules.
MEASURE_PAGE = """({minFont, minTarget}) => {
  const describe = (el) => {
    const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
      + [...e.classList].map((c) => "." + c).join("");
    return el.parentElement && el.parentElement !== document.body
      ? name(el.parentElement) + " > " + name(el) : name(el);
  };
  const words = (text) => text.replace(/\\s+/g, " ").trim().slice(0, 40);
  // Screen-reader-only (clip / 1 px) or not displayed at all: not something one sees or taps.
  const screenReaderOnly = (el) => {
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      const style = getComputedStyle(e);
      const rect = e.getBoundingClientRect();
      if ((style.position === "absolute" || style.position === "fixed")
          && (style.clip !== "auto" || (rect.width <= 1 && rect.height <= 1))) return true;
    }
    return false;
  };
  const shown = (el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true})
    && el.getClientRects().length > 0 && !screenReaderOnly(el);
  const px = (value) => parseFloat(value) || 0;
  // The box a row-wide target would fill: the content box of its nearest non-inline ancestor.
  const rowWidth = (el) => {
    let e = el.parentElement;
    while (e && getComputedStyle(e).display.startsWith("inline")) e = e.parentElement;
    if (!e) return innerWidth;
    const style = getComputedStyle(e);
    return e.clientWidth - px(style.paddingLeft) - px(style.paddingRight);
  };
  const offenders = [];
  // What is folded away is there to be read too.
  for (const details of document.querySelectorAll("details")) details.open = true;

  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el)) continue;
    if (el.closest("script, style, noscript, template, option, optgroup")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (range.getClientRects().length === 0 || !shown(el)) continue;
    seen.add(el);
    const size = px(getComputedStyle(el).fontSize);
    if (size < minFont - 0.01) {
      offenders.push({rule: "text", what: describe(el), text: words(node.textContent),
        size: size.toFixed(1) + " px"});
    }
  }

  const targets = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.body.querySelectorAll(targets)) {
    if (!shown(el)) continue;
    const text = words(el.textContent || el.value || el.getAttribute("aria-label") || "");
    // What a person types or picks is text too (a button's own text was measured above).
    const typed = "input:not([type=checkbox], [type=radio], [type=range], [type=color]), select, "
      + "textarea, button";
    if (el.matches(typed) && !seen.has(el)) {
      const size = px(getComputedStyle(el).fontSize);
      if (size < minFont - 0.01) {
        offenders.push({rule: "text", what: describe(el), text, size: size.toFixed(1) + " px"});
      }
    }
    // A checkbox or radio is tapped together with its label.
    let boxes = [...el.getClientRects()];
    if (el.matches("input[type=checkbox], input[type=radio]") && el.labels.length) {
      boxes = [el, ...el.labels].map((e) => e.getBoundingClientRect());
      const left = Math.min(...boxes.map((b) => b.left));
      const right = Math.max(...boxes.map((b) => b.right));
      const top = Math.min(...boxes.map((b) => b.top));
      const bottom = Math.max(...boxes.map((b) => b.bottom));
      boxes = [{width: right - left, height: bottom - top}];
    }
    // A link broken over two lines is two boxes, each of which must be tall enough.
    const height = Math.min(...boxes.map((b) => b.height));
    const whole = el.getBoundingClientRect();
    const width = boxes.length > 1 ? whole.width : boxes[0].width;
    const wideEnough = width >= minTarget - 0.01 || width >= rowWidth(el) - 1;
    if (height < minTarget - 0.01 || !wideEnough) {
      offenders.push({rule: "target", what: describe(el), text,
        size: width.toFixed(0) + "×" + height.toFixed(0) + " px"});
    }
  }

  const root = document.documentElement;
  if (root.scrollWidth > innerWidth || root.clientWidth !== innerWidth) {
    const wide = [...document.body.querySelectorAll("*")]
      .filter((el) => el.getBoundingClientRect().right > innerWidth + 0.5 && shown(el))
      .filter((el, _, all) => !all.some((other) => other !== el && el.contains(other)))
      .slice(0, 5).map((el) => describe(el) + " “" + words(el.textContent) + "”");
    offenders.push({rule: "scroll", what: "document", text: wide.join("; "),
      size: `scrollWidth ${root.scrollWidth}, clientWidth ${root.clientWidth}, `
        + `innerWidth ${innerWidth}`});
  }

  const links = [...document.querySelectorAll("a[href]")]
    .filter((a) => !a.hasAttribute("download"))
    .map((a) => new URL(a.href, location.href))
    .filter((url) => url.origin === location.origin)
    .map((url) => url.pathname + url.search);
  return {links, offenders};
}"""


def shape_of(path: str) -> tuple[str, ...]:
    """Pages alike in shape (/guides/a, /guides/b): the first segment, the depth, the query."""
    parts = urlsplit(path)
    segments = [segment for segment in parts.path.split("/") if segment]
    query_keys = sorted(pair.split("=")[0] for pair in parts.query.split("&") if pair)
    return (segments[0] if segments else "", str(len(segments)), *query_keys)


async def crawl_and_measure(
    context: BrowserContext,
    entry_pages: tuple[str, ...],
    follow: tuple[str, ...] = ("/",),
) -> tuple[list[str], dict[str, list[dict[str, str]]]]:
    """Measure the entry pages and the pages their links lead to (up to MAX_DEPTH levels).

    Returns the pages measured and, per page, what breaks the rules.
    """
    page = await context.new_page()
    queue = [(path, 0) for path in entry_pages]
    queued = set(entry_pages)
    shapes: Counter[tuple[str, ...]] = Counter()
    measured: list[str] = []
    offenders: dict[str, list[dict[str, str]]] = {}
    while queue:
        path, depth = queue.pop(0)
        if path not in entry_pages:
            if shapes[shape_of(path)] >= PAGES_PER_SHAPE:
                continue
            answer = await context.request.get(path, max_redirects=0)
            content_type = answer.headers.get("content-type", "")
            if answer.status == 404 or not content_type.startswith("text/html"):
                continue
        shapes[shape_of(path)] += 1
        response = await page.goto(path)
        assert response is not None, path
        if response.status == 404:
            continue
        # The inbox badge and other pieces htmx brings in on load.
        await page.wait_for_load_state("networkidle")
        result = await page.evaluate(
            MEASURE_PAGE, {"minFont": MIN_FONT_PX, "minTarget": MIN_TARGET_PX}
        )
        measured.append(path)
        if result["offenders"]:
            offenders[path] = result["offenders"]
        if depth >= MAX_DEPTH:
            continue
        for link in result["links"]:
            if link in queued or link.startswith(NOT_PAGES) or not link.startswith(follow):
                continue
            queued.add(link)
            queue.append((link, depth + 1))
    await page.close()
    return measured, offenders


def report(locale: str, offenders: dict[str, list[dict[str, str]]]) -> str:
    """One line per kind of offence and page; the same element repeated in a list counted once."""
    lines = [f"elder mode ({locale}): {sum(map(len, offenders.values()))} offences"]
    for path, found in offenders.items():
        lines.append(f"{path}:")
        counted = Counter((item["rule"], item["what"], item["size"]) for item in found)
        first_text = {}
        for item in found:
            first_text.setdefault((item["rule"], item["what"], item["size"]), item["text"])
        for (rule, what, size), count in counted.items():
            times = f" (×{count})" if count > 1 else ""
            lines.append(f"  {rule:6} {size:>12}  {what}  “{first_text[rule, what, size]}”{times}")
    return "\n".join(lines)


async def elder_phone(
    browser: Browser, server: LiveServer, locale: str, storage_state: dict[str, Any] | None = None
) -> BrowserContext:
    context = await browser.new_context(base_url=server.url, storage_state=storage_state, **PHONE)
    await context.add_cookies(
        [
            {"name": ELDER_COOKIE, "value": "1", "url": server.url},
            {"name": LOCALE_COOKIE, "value": locale, "url": server.url},
        ]
    )
    return context


@pytest_asyncio.fixture(loop_scope="session")
async def contexts() -> AsyncIterator[list[BrowserContext]]:
    """Contexts a test opens, closed after it whatever happens."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        await context.close()


@pytest.mark.parametrize("locale", LOCALES)
async def test_in_elder_mode_every_public_page_has_24_px_text_60_px_targets_and_fits_360_px(
    browser: Browser, live_server: LiveServer, contexts: list[BrowserContext], locale: str
) -> None:
    contexts.append(context := await elder_phone(browser, live_server, locale))

    measured, offenders = await crawl_and_measure(context, PUBLIC_ENTRY_PAGES)

    # The crawl reached what it should: a guide and a record page, besides the entry pages.
    assert any(path.startswith("/guides/") and path != "/guides/saved" for path in measured)
    assert any(path.startswith("/records/") for path in measured), measured
    assert any(path.startswith("/gi/") for path in measured), measured  # a GI record
    assert not offenders, report(locale, offenders)


@pytest.mark.parametrize("locale", LOCALES)
async def test_in_elder_mode_the_demo_applicants_pages_have_24_px_text_and_60_px_targets(
    browser: Browser,
    live_server: LiveServer,
    demo_applicant_state: dict[str, Any],
    contexts: list[BrowserContext],
    locale: str,
) -> None:
    contexts.append(
        context := await elder_phone(browser, live_server, locale, demo_applicant_state)
    )

    measured, offenders = await crawl_and_measure(
        context, PERSONAL_ENTRY_PAGES, follow=PERSONAL_PREFIXES
    )

    assert any(path.startswith("/my/records/") for path in measured), measured
    assert not offenders, report(locale, offenders)
