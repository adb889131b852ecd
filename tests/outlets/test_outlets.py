"""Outlets: the import (the shared list whole, the project's seed, refusals by line), the
directory by region and nearest first, the outlet page in three locales, and the site search."""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from backend.outlets import service
from backend.outlets.importer import SEED_FILE, import_file, load_seed_outlets
from backend.outlets.places import great_circle_km
from backend.outlets.tables import Outlet
from tests.shared_data import SHARED_DATA

pytestmark = pytest.mark.profiles
SHARED_CSV = SHARED_DATA / "outlets.csv"
NOT_YET = {"zh_Hans": "暂无", "zh_Hant": "暫無", "en": "Not yet available"}


@pytest.fixture(autouse=True)
async def no_outlets(client: httpx.AsyncClient) -> AsyncIterator[None]:
    """Each test starts with no outlet, and its own are gone afterwards: other domains' searches
    never meet them. The outlets other test files made are put back with their ids: emptied,
    SQLite's table would give the next outlet id 1 again, and a later file's new outlet would
    inherit the ratings of an earlier one (ratings keep the outlet's id without a foreign key,
    so that figures outlive an outlet), as tests/reviews/test_disclosure.py once counted."""
    others = await Outlet.select()
    await Outlet.delete(force=True)
    yield
    await Outlet.delete(force=True)
    if others:
        await Outlet.insert(*(Outlet(**row) for row in others))


def write_lines(path: Path, lines: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    return path


def outlet_line(name: str, **fields) -> dict:
    return {"name": name, "type": "tisc", "source": "https://example.org/test", **fields}


async def snapshot() -> list[dict]:
    return await Outlet.select().order_by(Outlet.name)


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="../shared/data/outlets.csv not here")
async def test_the_shared_list_imports_whole_and_again_changes_nothing() -> None:
    with SHARED_CSV.open(encoding="utf-8") as source:
        expected = len(list(csv.DictReader(source)))
    first = await import_file(SHARED_CSV)
    assert first.problems == []
    assert first.created == expected == await Outlet.count()
    before = await snapshot()
    again = await import_file(SHARED_CSV)
    assert (again.created, again.updated, again.unchanged) == (0, 0, expected)
    assert await snapshot() == before
    xiamen = await Outlet.objects().where(Outlet.name.like("厦门大学%")).first()
    assert (xiamen.type, xiamen.province_code, xiamen.prefecture_code) == (
        "tisc",
        "350000",
        "350200",
    )
    assert xiamen.latitude is not None and xiamen.coordinates_exact is False
    other = await Outlet.objects().where(Outlet.name.like("景德镇陶瓷大学%")).first()
    assert (other.type, other.province_code) == ("patent_document_outlet", "360000")


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="../shared/data/outlets.csv not here")
async def test_a_malformed_copy_is_refused_with_its_line_numbers_and_changes_nothing(
    tmp_path: Path,
) -> None:
    await import_file(SHARED_CSV)
    before = await snapshot()
    lines = SHARED_CSV.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("university IP information service centre", "castle", 1)
    lines[6] = lines[6].replace("海南省", "火星省", 1)
    lines.append(lines[1])  # a repeated name
    broken = tmp_path / "outlets.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = await import_file(broken)
    assert [(problem.line, problem.message) for problem in result.problems] == [
        (4, "unknown outlet type 'castle'"),
        (7, "unknown province '火星省'"),
        (21, f"{lines[1].split(',')[0]} repeats line 2"),
    ]
    assert result.created == result.updated == 0
    assert await snapshot() == before


async def test_rows_without_source_or_with_half_a_position_are_refused(tmp_path: Path) -> None:
    result = await import_file(
        write_lines(
            tmp_path / "bad.jsonl",
            [
                {"name": "无来源中心", "type": "tisc"},
                outlet_line("半个坐标中心", latitude=30.0),
                outlet_line("好的中心", province="浙江省", prefecture="杭州市"),
            ],
        )
    )
    assert [problem.line for problem in result.problems] == [1, 2]
    assert "source" in result.problems[0].message
    assert result.problems[1].message == "latitude and longitude go together"
    assert await Outlet.count() == 0


async def test_the_seed_loads_when_no_outlet_is_held_and_only_then() -> None:
    seed_rows = len(SEED_FILE.read_text(encoding="utf-8").splitlines())
    assert await load_seed_outlets() == seed_rows >= 19
    assert await load_seed_outlets() == 0
    assert not await Outlet.exists().where(Outlet.source == "")


async def test_the_seed_holds_every_outlet_of_the_shared_list() -> None:
    if not SHARED_CSV.exists():
        pytest.skip("../shared/data/outlets.csv not here")
    with SHARED_CSV.open(encoding="utf-8") as source:
        shared = {row["name_zh"] for row in csv.DictReader(source)}
    seed = {json.loads(line)["name"] for line in SEED_FILE.read_text().splitlines()}
    assert shared <= seed


async def test_an_update_changes_the_row_in_place(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    await import_file(write_lines(path, [outlet_line("更新测试中心", province="浙江省")]))
    result = await import_file(write_lines(path, [outlet_line("更新测试中心", phone="0571-1")]))
    assert (result.created, result.updated) == (0, 1)
    assert (await Outlet.objects().first()).phone == "0571-1"


POINTS = [(39.9, 116.4), (31.23, 121.47), (23.13, 113.26), (30.57, 104.07), (43.82, 87.62)]


async def test_near_puts_the_nearest_first_each_with_its_distance(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    lines = [
        outlet_line(f"测试中心{index}", latitude=lat, longitude=lon)
        for index, (lat, lon) in enumerate(POINTS)
    ]
    await import_file(write_lines(tmp_path / "points.jsonl", lines))
    client.cookies.set("iph_locale", "en")
    response = await client.get("/outlets", params={"near": "31.2,121.5"})
    assert response.status_code == 200
    names = re.findall(r'<a href="/outlets/\d+"><strong>([^<]+)</strong>', response.text)
    assert names[0] == "测试中心1"  # Shanghai
    assert "About 4.4 km away" in response.text
    assert 'href="geo:31.230000,121.470000?q=31.230000,121.470000(' in response.text


async def test_nearest_is_sorted_by_great_circle_distance_from_anywhere(tmp_path: Path) -> None:
    rng = random.Random(11)
    lines = [
        outlet_line(
            f"随机中心{index}", latitude=rng.uniform(18, 53), longitude=rng.uniform(73, 135)
        )
        for index in range(45)
    ]
    await import_file(write_lines(tmp_path / "random.jsonl", lines))
    for _ in range(20):
        lat, lon = rng.uniform(-90, 90), rng.uniform(-180, 180)
        shown = []
        for page in (1, 2, 3):
            shown += (await service.nearest(lat, lon, page)).outlets
        assert len(shown) == 45
        distances = [outlet.distance_km for outlet in shown]
        assert distances == sorted(distances)
        for outlet in shown:
            expected = great_circle_km(lat, lon, outlet.latitude, outlet.longitude)
            assert outlet.distance_km == pytest.approx(expected)


def test_great_circle_distance_of_known_pairs() -> None:
    assert great_circle_km(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1067, rel=0.01)
    assert great_circle_km(0, 0, 0, 180) == pytest.approx(20015, rel=0.001)
    assert great_circle_km(10, 10, 10, 10) == 0


async def test_a_near_that_is_not_a_place_shows_the_region_chooser(
    client: httpx.AsyncClient,
) -> None:
    client.cookies.set("iph_locale", "en")
    response = await client.get("/outlets", params={"near": "north,east"})
    assert response.status_code == 200
    assert "That location could not be read" in response.text
    assert "Choose your region" in response.text


async def test_by_region_lists_provinces_with_counts_then_a_province_and_a_city(
    client: httpx.AsyncClient,
) -> None:
    await load_seed_outlets()
    client.cookies.set("iph_locale", "zh_Hans")
    chooser = (await client.get("/outlets")).text
    fujian = await Outlet.count().where(Outlet.province_code == "350000")
    assert f'<a href="/outlets?province=350000">福建省 ({fujian})</a>' in chooser
    province = (await client.get("/outlets", params={"province": "350000"})).text
    assert f"{fujian} 个服务网点在福建省" in province or "福建省" in province
    assert "province=350000&amp;prefecture=350200" in province
    city = await client.get("/outlets", params={"province": "350000", "prefecture": "350200"})
    names = re.findall(r'<a href="/outlets/\d+"><strong>([^<]+)</strong>', city.text)
    assert names and all("厦门" in name for name in names)


async def test_a_long_region_is_paged_and_each_page_is_small(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    lines = [outlet_line(f"分页中心{index:02d}", province="浙江省") for index in range(45)]
    await import_file(write_lines(tmp_path / "many.jsonl", lines))
    first = await client.get("/outlets", params={"province": "330000"})
    assert first.text.count('<li class="app-list__item">') == service.PER_PAGE
    assert "page=2" in first.text
    third = await client.get("/outlets", params={"province": "330000", "page": 3})
    assert third.text.count('<li class="app-list__item">') == 5
    compressed = await client.get(
        "/outlets", params={"province": "330000"}, headers={"Accept-Encoding": "gzip"}
    )
    assert int(compressed.headers.get("content-length", len(compressed.content))) < 10_000


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
async def test_the_outlet_page_says_not_yet_available_for_what_is_not_known(
    tmp_path: Path, client: httpx.AsyncClient, locale: str
) -> None:
    await import_file(
        write_lines(
            tmp_path / "one.jsonl",
            [
                outlet_line(
                    "页面测试中心",
                    province="福建省",
                    prefecture="厦门市",
                    host_institution="测试大学",
                )
            ],
        )
    )
    outlet = await Outlet.objects().first()
    client.cookies.set("iph_locale", locale)
    response = await client.get(f"/outlets/{outlet.id}")
    assert response.status_code == 200
    text = response.text
    assert "页面测试中心" in text and "大学" in text
    assert text.count(NOT_YET[locale]) == 4  # address, phone, opening hours, services
    assert "tel:" not in text
    expected_type = {
        "zh_Hans": "技术与创新支持中心",
        "zh_Hant": "技術與創新支持中心",
        "en": "Technology and Innovation Support Centre",
    }[locale]
    assert expected_type in text


async def test_a_known_phone_is_a_tap_to_call_link(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    line = outlet_line(
        "电话测试中心", phone="0592-1234567", latitude=24.44, longitude=118.09, address="测试路1号"
    )
    await import_file(write_lines(tmp_path / "one.jsonl", [line]))
    outlet = await Outlet.objects().first()
    client.cookies.set("iph_locale", "en")
    text = (await client.get(f"/outlets/{outlet.id}")).text
    assert 'href="tel:0592-1234567"' in text
    assert "The outlet's own position." in text
    assert "测试路1号" in text


async def test_an_unknown_outlet_is_not_found(client: httpx.AsyncClient) -> None:
    assert (await client.get("/outlets/999999")).status_code == 404


async def test_the_site_search_lists_outlets_in_their_own_group(
    client: httpx.AsyncClient,
) -> None:
    await load_seed_outlets()
    client.cookies.set("iph_locale", "en")
    text = (await client.get("/search", params={"q": "保护中心"})).text
    assert "Service outlets" in text
    assert "中国（成都）知识产权保护中心" in text
