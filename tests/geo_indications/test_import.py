"""`litestar iph import gi`: the shared CNIPA file and CSV whole, again without change, and a
malformed copy refused whole with where each problem is (docs/import-gi.md)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from backend.geo_indications.importer import import_file
from backend.geo_indications.tables import GIProduct
from tests.shared_data import SHARED_DATA

pytestmark = pytest.mark.profiles

SHARED = SHARED_DATA
CNIPA_JSON = SHARED / "cnipa-gi-products.json"
SHARED_CSV = SHARED / "gi-products.csv"
needs_shared = pytest.mark.skipif(not CNIPA_JSON.exists(), reason="../shared/data not here")


def write_lines(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@needs_shared
async def test_the_4400_record_file_imports_whole_and_a_second_import_changes_nothing() -> None:
    first = await import_file(CNIPA_JSON)
    assert first.problems == [] and first.unresolved == []
    assert first.created + first.updated + first.unchanged == 4400
    again = await import_file(CNIPA_JSON)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4400)
    product = await GIProduct.objects().where(GIProduct.name == "铁力北五味子").first()
    assert product.province_code == "230000" and product.prefecture_code == "230700"  # 伊春市
    assert json.loads(product.protected_area)[0] == "双丰镇"
    assert product.quality  # the import of the shared file itself may keep the description
    assert product.category == "medicinal" and product.category_derived
    # 藏毯 is protected twice, in 青海省 and in 西藏自治区: two products.
    assert await GIProduct.count().where(GIProduct.name == "藏毯") == 2


@needs_shared
async def test_a_malformed_copy_is_refused_with_the_entries_at_fault_and_changes_nothing(
    tmp_path: Path,
) -> None:
    entries = json.loads(CNIPA_JSON.read_text("utf-8"))
    unique = f"测试{secrets.token_hex(3)}茶"
    entries[3]["product_name"] = ""
    entries[10]["province"] = "火星省"
    entries[20]["districts"] = "not a list"
    entries.append({**entries[0], "product_name": unique})
    entries.append({**entries[0], "product_name": unique})
    copy = tmp_path / "broken.json"
    copy.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    before = await GIProduct.count()
    result = await import_file(copy)
    assert [(p.unit, p.line) for p in result.problems] == [
        ("entry", 3),
        ("entry", 10),
        ("entry", 20),
        ("entry", 4401),
    ]
    assert "火星省" in result.problems[1].message
    assert "repeats entry 4400" in result.problems[3].message
    assert (result.created, result.updated) == (0, 0)
    assert await GIProduct.count() == before
    assert not await GIProduct.exists().where(GIProduct.name == unique)


async def test_json_lines_problems_are_reported_by_line_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    name = f"测试{secrets.token_hex(3)}米"
    path = write_lines(
        tmp_path / "gi.jsonl",
        [
            {"name": name, "province": "黑龙江", "source": "test"},
            {"name": name + "2", "province": "黑龙江", "category": "rocks", "source": "test"},
            {"name": name + "3", "province": "黑龙江"},
            {"name": name + "4", "province": "黑龙江", "authorised_users": -1, "source": "t"},
        ],
    )
    result = await import_file(path)
    assert [p.line for p in result.problems] == [2, 3, 4]
    assert "source" in result.problems[1].message
    assert not await GIProduct.exists().where(GIProduct.name == name)


async def test_an_unknown_prefecture_keeps_the_province_and_is_counted(tmp_path: Path) -> None:
    name = f"测试{secrets.token_hex(3)}羊肉"
    path = write_lines(
        tmp_path / "gi.jsonl",
        [{"name": name, "province": "山东", "prefecture": "莱芜市", "source": "test"}],
    )
    result = await import_file(path)
    assert result.problems == [] and result.created == 1
    assert [(p.line, p.message) for p in result.unresolved] == [(1, "莱芜市")]  # merged in 2019
    product = await GIProduct.objects().where(GIProduct.name == name).first()
    assert (product.province_code, product.prefecture_code) == ("370000", "")
    assert product.category == "meat_and_poultry"


async def test_the_projects_own_csv_imports_every_field(tmp_path: Path) -> None:
    name = f"测试{secrets.token_hex(3)}"
    path = tmp_path / "gi.csv"
    path.write_text(
        "name,province,prefecture,county,category,route,announcement,approved_on,"
        "protected_area,authorised_users,how_to_apply,source\n"
        f"{name},浙江省,杭州市,临平区,fruit,certification_mark,某公告,2021-05-01,"
        f"临平街道;南苑街道,3,向当地知识产权局申请,test\n",
        "utf-8",
    )
    result = await import_file(path)
    assert result.problems == [] and result.created == 1
    product = await GIProduct.objects().where(GIProduct.name == name).first()
    assert (product.prefecture_code, product.county_code) == ("330100", "330113")
    assert (product.category, product.category_derived) == ("fruit", False)
    assert product.route == "certification_mark" and product.authorised_users == 3
    assert json.loads(product.protected_area) == ["临平街道", "南苑街道"]
    assert str(product.approved_on) == "2021-05-01"


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="../shared/data not here")
async def test_the_shared_csv_imports_whole_with_its_categories() -> None:
    result = await import_file(SHARED_CSV)
    assert result.problems == []
    assert result.created + result.updated + result.unchanged == 107
    product = await GIProduct.objects().where(GIProduct.name == "西凤酒").first()
    assert (product.category, product.category_derived) == ("wine_and_spirits", False)
    assert product.announcement == "国家质量监督检验检疫总局 2003年第86号"
    assert product.prefecture_code == "610300"  # 宝鸡市
    assert (await import_file(SHARED_CSV)).unchanged == 107
