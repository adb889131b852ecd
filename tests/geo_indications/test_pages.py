"""/gi (browse, search, pages of results) and /gi/{id}, in the three locales, without JavaScript;
and the GI group of the site-wide search."""

from __future__ import annotations

import gzip
import json
import re
import secrets
from pathlib import Path

import httpx
import pytest

from backend.geo_indications.importer import import_file
from backend.geo_indications.tables import GIProduct

pytestmark = pytest.mark.profiles


# Test names hold digits only: a digit after a letter in a query is read as a tone ("a1").
def token() -> str:
    return f"{secrets.randbelow(10**8):08d}"


NOT_YET = {"en": "Not yet available", "zh_Hans": "暂无", "zh_Hant": "暫無"}


async def imported(tmp_path: Path, rows: list[dict]) -> None:
    path = tmp_path / f"{secrets.token_hex(4)}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    result = await import_file(path)
    assert result.problems == []


async def product_id(name: str) -> int:
    return (await GIProduct.select(GIProduct.id).where(GIProduct.name == name).first())["id"]


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
async def test_a_record_says_not_yet_available_for_every_field_no_source_gives(
    client: httpx.AsyncClient, tmp_path: Path, locale: str
) -> None:
    name = f"测试{token()}茶"
    await imported(
        tmp_path,
        [
            {
                "name": name,
                "province": "陕西",
                "prefecture": "西安",
                "protected_area": ["长安区"],
                "source": "test source",
            }
        ],
    )
    client.cookies.set("iph_locale", locale)
    response = await client.get(f"/gi/{await product_id(name)}")
    assert response.status_code == 200
    page = response.text
    assert name in page and "陕西省" in page and "西安市" in page and "长安区" in page
    assert 'href="/gi?province=610000"' in page
    # announcement, its date, authorised users, quality, how to apply: five unknowns.
    assert page.count(NOT_YET[locale]) == 5
    assert 'href="/gi/check"' in page and "/saved" not in page


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
async def test_the_directory_browses_by_province_then_prefecture_and_by_category(
    client: httpx.AsyncClient, tmp_path: Path, locale: str
) -> None:
    name = f"测试{token()}鸡"
    await imported(
        tmp_path, [{"name": name, "province": "浙江", "prefecture": "杭州", "source": "test"}]
    )
    client.cookies.set("iph_locale", locale)
    home = await client.get("/gi")
    assert home.status_code == 200
    assert re.search(r'href="/gi\?province=330000">浙江省&nbsp;\(\d+\)', home.text)
    assert 'href="/gi?category=meat_and_poultry"' in home.text
    assert len(gzip.compress(home.content)) <= 10 * 1024
    province = await client.get("/gi", params={"province": "330000"})
    assert re.search(r'href="/gi\?province=330000&amp;prefecture=330100">杭州市', province.text)
    listed = await client.get(
        "/gi", params={"province": "330000", "prefecture": "330100", "category": "meat_and_poultry"}
    )
    assert f">{name}</strong>" in listed.text


async def test_search_pages_through_the_results_twenty_at_a_time_without_javascript(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    stem = f"测{token()}"
    await imported(
        tmp_path,
        [{"name": f"{stem}{n:02d}米", "province": "黑龙江", "source": "t"} for n in range(25)],
    )
    first = await client.get("/gi", params={"q": stem})
    names = re.findall(rf"<strong>({stem}\d+米)</strong>", first.text)
    assert len(names) == 20 and "25" in first.text
    assert len(gzip.compress(first.content)) <= 10 * 1024
    next_href = re.search(r'rel="next" href="([^"]+)"', first.text).group(1)
    second = await client.get(next_href.replace("&amp;", "&"))
    assert len(re.findall(rf"<strong>({stem}\d+米)</strong>", second.text)) == 5
    assert 'rel="prev" href="/gi?q=' in second.text and 'rel="next"' not in second.text
    fragment = await client.get("/gi", params={"q": stem}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and f"{stem}00米" in fragment.text
    assert "HX-Request" in fragment.headers["vary"]


async def test_search_matches_pinyin_and_says_when_nothing_matches(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await imported(tmp_path, [{"name": "五常大米", "province": "黑龙江", "source": "t"}])
    by_pinyin = await client.get("/gi", params={"q": "Wu Chang"})
    assert ">五常大米</strong>" in by_pinyin.text
    client.cookies.set("iph_locale", "en")
    none = await client.get("/gi", params={"q": "zzzz%_"})
    assert "No GI product matches “zzzz”." in none.text


async def test_the_site_search_has_a_group_of_gi_products(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    name = f"测试{token()}梨"
    await imported(tmp_path, [{"name": name, "province": "河北", "source": "t"}])
    response = await client.get("/search", params={"q": name})
    assert f'href="/gi/{await product_id(name)}"' in response.text
    assert f"/gi?q={name}" in response.text or "/gi?q=" in response.text


async def test_an_unknown_record_is_not_found(client: httpx.AsyncClient) -> None:
    assert (await client.get("/gi/999999999")).status_code == 404
