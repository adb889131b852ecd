"""Offline region packs over HTTP: /gi/packs/<province>.json lists pages that answer, estimates
their compressed size within a quarter, and carries the index the phone searches offline; /saved
is a page of its own."""

from __future__ import annotations

import gzip
import secrets
from pathlib import Path

import httpx
import pytest

from tests.geo_indications.test_pages import imported, product_id

pytestmark = pytest.mark.profiles

PROVINCE = "540000"  # 西藏自治区: few other tests import there


@pytest.fixture
async def tibet(tmp_path: Path) -> dict[str, str]:
    """24 products of the test's own in two prefectures (two list pages for the province)."""
    run = secrets.token_hex(3)
    rows = [
        {
            "name": f"测试{run}拉萨{i}号青稞",
            "province": "西藏",
            "prefecture": "拉萨" if i % 2 else "日喀则",
            "protected_area": ["城关区", "堆龙德庆区"],
            "source": "test source",
        }
        for i in range(24)
    ]
    await imported(tmp_path, rows)
    return {"first": rows[0]["name"]}


async def test_a_province_pack_lists_its_list_and_record_pages_each_answering(
    client: httpx.AsyncClient, tibet: dict[str, str]
) -> None:
    response = await client.get(f"/gi/packs/{PROVINCE}.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-cache"
    pack = response.json()
    assert pack["province_code"] == PROVINCE and pack["province"] == "西藏自治区"
    assert pack["compression"] == "gzip" and pack["lang"] == "zh-Hans"
    urls = [page["url"] for page in pack["pages"]]
    assert len(urls) == len(set(urls))
    assert f"/gi?province={PROVINCE}" in urls and f"/gi?province={PROVINCE}&page=2" in urls
    assert f"/gi?province={PROVINCE}&prefecture=540100" in urls  # 拉萨市
    assert f"/gi/{await product_id(tibet['first'])}" in urls
    assert pack["total_bytes"] == sum(page["bytes"] for page in pack["pages"])
    for url in urls:
        assert (await client.get(url)).status_code == 200, url


async def test_the_estimate_is_within_a_quarter_of_the_real_compressed_pages(
    client: httpx.AsyncClient, tibet: dict[str, str]
) -> None:
    pack = (await client.get(f"/gi/packs/{PROVINCE}.json")).json()
    real = 0
    for page in pack["pages"]:
        size = len(gzip.compress((await client.get(page["url"])).content))
        assert 0.75 * size <= page["bytes"] <= 1.25 * size, (page["url"], size, page["bytes"])
        real += size
    assert 0.75 * real <= pack["total_bytes"] <= 1.25 * real


async def test_the_index_holds_each_products_readings_and_initials(
    client: httpx.AsyncClient, tibet: dict[str, str]
) -> None:
    pack = (await client.get(f"/gi/packs/{PROVINCE}.json")).json()
    by_name = {product["name"]: product for product in pack["products"]}
    rice = by_name[tibet["first"]]
    assert rice["url"] == f"/gi/{rice['id']}"
    assert rice["readings"][0].startswith("ce shi ") and rice["readings"][0].endswith(" qing ke")
    assert rice["initials"][0].startswith("cs") and rice["initials"][0].endswith("qk")
    assert len(pack["products"]) >= 24


@pytest.mark.parametrize(
    "path", ["/gi/packs/999999.json", "/gi/packs/540100.json", "/gi/packs/540000"]
)
async def test_no_pack_for_what_is_not_a_province_with_products(
    client: httpx.AsyncClient, path: str
) -> None:
    assert (await client.get(path)).status_code == 404


@pytest.mark.parametrize(
    ("locale", "title"), [("zh_Hans", "离线保存"), ("en", "Saved for offline")]
)
async def test_saved_is_a_page_that_says_what_saving_needs_without_scripts(
    client: httpx.AsyncClient, locale: str, title: str
) -> None:
    client.cookies.set("iph_locale", locale)
    response = await client.get("/saved")
    assert response.status_code == 200
    assert f'<h1 class="app-heading-l">{title}</h1>' in response.text
    assert "<noscript>" in response.text and "data-saved-packs" in response.text
