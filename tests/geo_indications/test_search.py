"""GI search over the whole seed: characters, full pinyin with and without spaces, initials, mixed,
English category words, polyphonic place names, suggestions, pages, and the 10 KB budget."""

from __future__ import annotations

import gzip

import httpx
import pytest

from backend.geo_indications import search, service
from backend.geo_indications.importer import CNIPA_SOURCE, import_file
from backend.geo_indications.service import SEED_FILES
from backend.geo_indications.tables import GIProduct, GISearchTerm

pytestmark = pytest.mark.profiles

_seeded = False


@pytest.fixture
async def seed() -> None:
    """The seed as `iph setup` loads it (the importer writes the terms); 五常大米 is in the
    team's compilation."""
    global _seeded
    if _seeded:
        return
    for seed_file in SEED_FILES:
        assert (await import_file(seed_file, default_source=CNIPA_SOURCE)).problems == []
    await search.index_unindexed_products()  # products another test imported before the index
    _seeded = True


async def names(query: str, page: int = 1) -> list[str]:
    return [product.name for product in (await service.search_products(query, page)).products]


async def test_characters_find_names_holding_them(seed: None) -> None:
    assert await names("五常") == ["五常大米"]
    assert "都匀毛尖茶" in await names("毛尖")


@pytest.mark.parametrize("query", ["wuchangdami", "wuchang dami", "Wǔ Cháng Dà Mǐ", "wu3chang2"])
async def test_full_pinyin_with_and_without_spaces_or_tones_finds_the_name(
    seed: None, query: str
) -> None:
    assert "五常大米" in await names(query)


async def test_initials_and_mixtures_find_the_name(seed: None) -> None:
    assert "五常大米" in await names("wcdm")  # 瓦仓大米, 万昌大米… too: initials are few
    assert await names("五常dm") == ["五常大米"]
    assert "五常大米" in await names("wc大米")


async def test_polyphonic_place_names_are_read_as_the_place_is_called(seed: None) -> None:
    found = await names("shanxian")
    assert {"单县羊肉汤", "单县罗汉参", "单县青山羊"} <= set(found)
    assert "都匀毛尖茶" in await names("duyun")
    assert "都匀毛尖茶" in await names("dymj")


async def test_english_category_words_and_category_names_list_that_category(seed: None) -> None:
    tea = await service.search_products("tea")
    teas = await GIProduct.count().where(GIProduct.category == "tea")
    assert tea.total >= teas > 100
    assert (await service.search_products("茶叶")).total >= teas
    assert (await service.search_products("茶葉")).total >= teas
    rice = await service.search_products("Rice")
    assert rice.total >= await GIProduct.count().where(GIProduct.category == "grain_and_oil")
    assert all(p.category == "grain_and_oil" for p in rice.products)
    assert (await service.search_products("wine")).products[0].category == "wine_and_spirits"


async def test_the_name_itself_comes_first_then_names_it_begins(seed: None) -> None:
    found = await names("单县青山羊")
    assert found[0] == "单县青山羊"
    starting = await names("单县")
    assert all(name.startswith("单县") for name in starting[:3])


async def test_no_result_suggests_the_nearest_names_and_the_product_elsewhere(seed: None) -> None:
    typo = await service.search_products("五长大米")
    assert typo.total == 0 and typo.products == []
    assert typo.nearest[0].name == "五常大米"
    assert typo.product_word == "大米" and typo.elsewhere
    assert all(product.name.endswith("大米") for product in typo.elsewhere)
    letters = await service.search_products("wuchangdamx")
    assert letters.total == 0 and [p.name for p in letters.nearest] == ["五常大米"]


async def test_a_query_of_one_letter_is_paged_20_at_a_time(seed: None) -> None:
    first = await service.search_products("d")
    second = await service.search_products("d", page=2)
    assert first.total == second.total > 40
    assert len(first.products) == len(second.products) == 20
    assert first.has_next and not first.has_previous and second.has_previous
    assert not {p.id for p in first.products} & {p.id for p in second.products}


async def test_each_product_holds_its_terms_once_and_reimport_rewrites_none(seed: None) -> None:
    product = await GIProduct.select(GIProduct.id).where(GIProduct.name == "五常大米").first()
    before = await GISearchTerm.count().where(GISearchTerm.product == product["id"])
    assert before > 20
    for seed_file in SEED_FILES:
        assert (await import_file(seed_file, default_source=CNIPA_SOURCE)).created == 0
    assert await GISearchTerm.count().where(GISearchTerm.product == product["id"]) == before


@pytest.mark.parametrize("query", ["d", "tea", "五长大米"])
async def test_a_result_page_and_its_fragment_stay_under_10_kb_compressed(
    client: httpx.AsyncClient, seed: None, query: str
) -> None:
    page = await client.get("/gi", params={"q": query})
    fragment = await client.get("/gi", params={"q": query}, headers={"HX-Request": "true"})
    assert page.status_code == fragment.status_code == 200
    assert len(gzip.compress(page.content)) <= 10 * 1024
    assert len(gzip.compress(fragment.content)) <= 10 * 1024
    if query == "五长大米":
        assert "五常大米" in page.text and "五常大米" in fragment.text


async def test_the_site_search_lists_gi_products_by_initials(
    client: httpx.AsyncClient, seed: None
) -> None:
    response = await client.get("/search", params={"q": "wcdm"})
    assert response.status_code == 200
    assert "五常大米" in response.text


@pytest.mark.parametrize(("query", "name"), [("龍井茶", "龙井茶"), ("鐵觀音", "安溪铁观音")])
async def test_traditional_characters_find_the_simplified_name(
    seed: None, query: str, name: str
) -> None:
    assert name in await names(query)
