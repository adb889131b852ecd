"""Guides offline, over HTTP: the offline pack and its sizes, the search index, the server search,
and what a guide page gives guides.js to work with."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from backend.guides.search import tokens
from backend.guides.service import import_guides
from tests.guides.test_guides import guide_file, unique_slug

pytestmark = pytest.mark.profiles

BODY_EN = """
## Who may apply

A patentee may renew the registration online.

## Fees

Pay the annual fee before the due date.
"""


@pytest.fixture
async def guides(tmp_path: Path, client: httpx.AsyncClient) -> dict[str, str]:
    """Three guides of the test's own: one in zh_Hans and en, two in zh_Hans only."""
    folder = tmp_path / "guides"
    slugs = {
        "bilingual": unique_slug("offline-bilingual"),
        "chinese": unique_slug("offline-chinese"),
        "other": unique_slug("offline-other"),
    }
    guide_file(folder, slugs["bilingual"], title="测试指南：离线年费缓缴")
    english = guide_file(folder, slugs["bilingual"], "en", title="Test guide: offline renewal")
    front_matter = english.read_text(encoding="utf-8").split("\n---\n", 1)[0]
    english.write_text(f"{front_matter}\n---\n{BODY_EN}", encoding="utf-8")
    guide_file(folder, slugs["chinese"], title="测试指南：商标续展离线")
    guide_file(folder, slugs["other"], title="测试指南：集成电路布图", summary="与离线无关。")
    result = await import_guides(folder)
    assert result.problems == []
    return slugs


def test_chinese_is_cut_into_bigrams_and_lone_characters_and_other_text_into_lowercase_words() -> (
    None
):
    assert tokens("商标注册") == ["商标", "标注", "注册"]
    assert tokens("费") == ["费"]
    assert tokens("年费：缴") == ["年费", "缴"]
    # Full-width letters and digits (a Chinese input method) become ASCII words.
    assert tokens("ＰＣＴ申请 Annual-Fee 2026") == ["pct", "申请", "annual", "fee", "2026"]


async def test_the_offline_pack_lists_every_guide_of_the_locale_with_its_compressed_size(
    client: httpx.AsyncClient, guides: dict[str, str]
) -> None:
    response = await client.get("/guides/offline-pack.json")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-cache"
    assert "Cookie" in response.headers["vary"]
    pack = response.json()
    assert pack["locale"] == "zh_Hans" and pack["lang"] == "zh-Hans"
    assert pack["compression"] == "gzip"
    by_slug = {guide["slug"]: guide for guide in pack["guides"]}
    entry = by_slug[guides["bilingual"]]
    assert entry == {
        "slug": guides["bilingual"],
        "url": f"/guides/{guides['bilingual']}",
        "title": "测试指南：离线年费缓缴",
        "bytes": entry["bytes"],
        "version": 1,
        "updated": "2026-11-20",
    }
    assert pack["index"]["url"] == "/guides/search-index.json" and pack["index"]["bytes"] > 0
    total = sum(guide["bytes"] for guide in pack["guides"]) + pack["index"]["bytes"]
    assert pack["total_bytes"] == total


async def test_the_size_of_each_guide_is_within_a_quarter_of_its_real_compressed_page(
    client: httpx.AsyncClient, guides: dict[str, str]
) -> None:
    await import_guides()  # the real content as well
    pack = (await client.get("/guides/offline-pack.json")).json()
    assert len(pack["guides"]) >= 3
    for guide in pack["guides"]:
        real = len(gzip.compress((await client.get(guide["url"])).content))
        assert 0.75 * real <= guide["bytes"] <= 1.25 * real, (guide["url"], real, guide["bytes"])
    index = (await client.get(pack["index"]["url"])).content
    assert pack["index"]["bytes"] == pytest.approx(len(gzip.compress(index)), rel=0.05)


async def test_the_offline_pack_follows_the_persons_language(
    client: httpx.AsyncClient, guides: dict[str, str]
) -> None:
    client.cookies.set("iph_locale", "en")
    pack = (await client.get("/guides/offline-pack.json")).json()
    assert pack["locale"] == "en" and pack["lang"] == "en"
    titles = {guide["slug"]: guide["title"] for guide in pack["guides"]}
    assert titles[guides["bilingual"]] == "Test guide: offline renewal"
    assert titles[guides["chinese"]] == "测试指南：商标续展离线"  # no English: the zh_Hans text


async def test_the_search_index_holds_titles_summaries_headings_and_the_terms_of_each_guide(
    client: httpx.AsyncClient, guides: dict[str, str]
) -> None:
    response = await client.get("/guides/search-index.json")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    index = response.json()
    assert index["locale"] == "zh_Hans" and index["lang"] == "zh-Hans"
    entry = next(guide for guide in index["guides"] if guide["slug"] == guides["bilingual"])
    assert entry["url"] == f"/guides/{guides['bilingual']}"
    assert entry["title"] == "测试指南：离线年费缓缴"
    assert entry["summary"] == "说明如何变更专利的著录项目。"
    assert entry["headings"] == ["办理条件", "费用"]
    terms = entry["terms"].split(" ")
    assert len(terms) == len(set(terms))
    for term in ("离线", "缓缴", "办理", "在线", "标准"):  # title, heading and body bigrams
        assert term in terms
    assert not {"href", "ul", "li", "h2"} & set(terms)  # the text, not its markup

    client.cookies.set("iph_locale", "en")
    english = (await client.get("/guides/search-index.json")).json()
    entry = next(guide for guide in english["guides"] if guide["slug"] == guides["bilingual"])
    assert english["lang"] == "en"
    assert {"patentee", "renew", "registration", "annual"} <= set(entry["terms"].split(" "))


def results_of(page: httpx.Response) -> str:
    """The results section of /guides (the lists below it link every guide)."""
    return page.text.split('id="guide-results"')[1].split("</section>")[0]


async def test_searching_guides_finds_words_in_the_body_case_and_width_insensitively(
    client: httpx.AsyncClient, guides: dict[str, str]
) -> None:
    page = await client.get("/guides", params={"q": "缓缴"})
    assert page.status_code == 200
    assert 'data-query="缓缴"' in page.text
    assert f'href="/guides/{guides["bilingual"]}"' in results_of(page)
    assert f'href="/guides/{guides["other"]}"' not in results_of(page)

    body_only = await client.get("/guides", params={"q": "以现行收费标准"})
    for slug in guides.values():
        assert f'href="/guides/{slug}"' in results_of(body_only)

    client.cookies.set("iph_locale", "en")
    english = await client.get("/guides", params={"q": "ＰＡＴＥＮＴＥＥ  Renew"})
    assert f'href="/guides/{guides["bilingual"]}"' in results_of(english)
    assert f'href="/guides/{guides["chinese"]}"' not in results_of(english)


async def test_a_search_that_finds_nothing_says_so_and_keeps_the_query_escaped(
    client: httpx.AsyncClient, guides: dict[str, str]
) -> None:
    page = (await client.get("/guides", params={"q": "<script>不存在的词</script>"})).text
    assert "没有与“&lt;script&gt;不存在的词&lt;/script&gt;”相关的指南。" in page
    assert "<script>不存在" not in page


async def test_a_guide_page_carries_what_guides_js_needs_translated(
    client: httpx.AsyncClient, guides: dict[str, str]
) -> None:
    page = (await client.get(f"/guides/{guides['chinese']}")).text
    assert 'data-guide-version="1"' in page
    assert 'data-offline-note data-text="离线副本，保存于{date}" hidden' in page
    assert "本指南有新版本。" in page and "刷新" in page
    assert "/static/js/guides.js?v=" in page

    index = (await client.get("/guides")).text
    assert 'data-size-text="指南 {count} 篇，下载约 {size}。"' in index
    assert "保存全部指南以便离线阅读" in index
    # There from the first paint where scripts run; guides.js hides it where it cannot work.
    assert 'class="app-panel app-when-scripted" aria-labelledby="offline-save-title"' in index


async def test_the_service_worker_keeps_guides_in_a_cache_of_their_own_and_comes_without_comments(
    client: httpx.AsyncClient,
) -> None:
    source = (await client.get("/sw.js")).text
    # Not named by the shell version, so that an app update does not drop saved guides.
    assert 'const GUIDES_CACHE = "iph-guides";' in source
    assert 'addEventListener("fetch"' in source
    assert [line for line in source.splitlines() if line.lstrip().startswith("//")] == []
