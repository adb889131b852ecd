"""Guides: import with located errors, versions, sanitising, OpenCC, the page and its budget."""

from __future__ import annotations

import gzip
import json
import re
import textwrap
from pathlib import Path

import httpx
import pytest

from backend.guides.service import CONTENT_DIR, import_guides
from backend.guides.tables import Guide, GuideVersion

pytestmark = pytest.mark.profiles

BODY = """
## 办理条件

专利权人可以在线办理。

## 费用

- 以现行收费标准为准

<script>alert('x')</script> <img src=x onerror="alert(1)">
[点我](javascript:alert(1)) [官网](https://www.cnipa.gov.cn/)
"""


def guide_file(folder: Path, slug: str, locale: str = "zh_Hans", **front) -> Path:
    values = {
        "slug": slug,
        "title": "测试指南：变更著录项目",
        "category": "patents",
        "summary": "说明如何变更专利的著录项目。",
        "version": 1,
        "updated": "2026-11-20",
        "locale": locale,
        "matters": ["change-of-name"],
        "sources": ["《专利法实施细则》"],
        **front,
    }
    lines = (
        ["---"]
        + [
            f"{key}: {json.dumps(value, ensure_ascii=False)}"  # JSON is YAML, safely quoted
            for key, value in values.items()
            if value is not None
        ]
        + ["---", textwrap.dedent(BODY)]
    )
    path = folder / slug / f"{locale}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return tmp_path / "guides"


def unique_slug(name: str) -> str:
    import secrets

    return f"{name}-{secrets.token_hex(3)}"


async def test_front_matter_errors_are_reported_with_file_and_line(
    content: Path, client: httpx.AsyncClient
) -> None:
    slug = unique_slug("bad")
    path = guide_file(content, slug, category="cooking")
    result = await import_guides(content)
    assert [(p.path, p.line) for p in result.problems] == [(path, 4)]
    assert "category 'cooking'" in result.problems[0].message
    missing = guide_file(content, slug, category="patents", summary=None)
    result = await import_guides(content)
    assert result.problems[0].path == missing and "missing summary" in result.problems[0].message
    assert not await Guide.exists().where(Guide.slug == slug)


async def test_reimporting_unchanged_files_changes_nothing_and_a_change_is_a_new_version(
    content: Path, client: httpx.AsyncClient
) -> None:
    slug = unique_slug("change-of-name")
    path = guide_file(content, slug)
    first = await import_guides(content)
    assert first.new_versions == 2  # zh_Hans, and zh_Hant converted from it
    again = await import_guides(content)
    assert again.new_versions == 0
    path.write_text(path.read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    changed = await import_guides(content)
    assert changed.new_versions == 2
    guide = await Guide.objects().where(Guide.slug == slug).first()
    versions = await GuideVersion.select(GuideVersion.version).where(
        (GuideVersion.guide == guide.id) & (GuideVersion.locale == "zh_Hans")
    )
    assert sorted(v["version"] for v in versions) == [1, 2]


async def test_scripts_event_handlers_and_javascript_links_never_reach_the_page(
    content: Path, client: httpx.AsyncClient
) -> None:
    slug = unique_slug("unsafe")
    guide_file(content, slug)
    await import_guides(content)
    page = (await client.get(f"/guides/{slug}")).text
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None  # no inline script at all
    assert re.search(r"<[^>]+\son[a-z]+=", page) is None  # no event-handler attribute
    assert "javascript:" not in page.split("[点我]")[0] and 'href="javascript:' not in page
    assert '<a href="https://www.cnipa.gov.cn/"' in page
    assert 'id="办理条件"' in page and 'href="#办理条件"' in page


async def test_a_guide_without_a_zh_hant_file_appears_in_zh_hant_converted_by_opencc(
    content: Path, client: httpx.AsyncClient
) -> None:
    slug = unique_slug("opencc")
    guide_file(content, slug)
    await import_guides(content)
    client.cookies.set("iph_locale", "zh_Hant")
    page = await client.get(f"/guides/{slug}")
    assert "測試指南：變更著錄項目" in page.text
    assert "辦理條件" in page.text


async def test_an_english_reader_gets_the_english_file_and_others_fall_back_with_a_notice(
    content: Path, client: httpx.AsyncClient
) -> None:
    slug = unique_slug("english")
    guide_file(content, slug)
    guide_file(content, slug, "en", title="Test guide: changing bibliographic data")
    lonely = unique_slug("chinese-only")
    guide_file(content, lonely)
    result = await import_guides(content)
    assert result.problems == [] and result.new_versions == 5
    client.cookies.set("iph_locale", "en")
    assert "Test guide: changing bibliographic data" in (await client.get(f"/guides/{slug}")).text
    fallback = await client.get(f"/guides/{lonely}")
    assert "not yet available in your language" in fallback.text


async def test_a_typical_guide_page_is_at_most_14_kb_compressed(client: httpx.AsyncClient) -> None:
    result = await import_guides()  # the real content in content/guides
    assert result.problems == []
    slugs = sorted(path.name for path in CONTENT_DIR.iterdir() if path.is_dir())
    assert len(slugs) >= 25, "content/guides should hold at least 25 guides"
    sizes = []
    for slug in slugs:
        html = (await client.get(f"/guides/{slug}")).content
        sizes.append(len(gzip.compress(html)))
    typical = sorted(sizes)[len(sizes) // 2]
    assert typical <= 14_000, sizes
