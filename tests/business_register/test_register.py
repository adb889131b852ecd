"""The business register's default adapter (our own copy) and its import: a known code gives the
entity's name and address, an unknown one nothing; a bad file is refused whole with line numbers
and changes nothing; the same file again changes nothing."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from backend.business_register import service
from backend.business_register.tables import BusinessEntity
from backend.geo_indications.credit_code import ALPHABET, check_character
from backend.settings import Settings

pytestmark = pytest.mark.profiles
HEADER = "credit_code,name,address,active,source,demo\n"


def fresh_code(prefix: str = "91330100") -> str:
    first17 = prefix + "".join(secrets.choice(ALPHABET) for _ in range(17 - len(prefix)))
    return first17 + check_character(first17)


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(line + "\n" for line in lines), "utf-8")
    return path


async def test_a_known_code_gives_the_entity_and_an_unknown_one_nothing(tmp_path: Path) -> None:
    code = fresh_code()
    rows, problems = service.read_rows(
        write_csv(
            tmp_path / "e.csv", [f"{code},测试有限公司,浙江省杭州市临平区测试路1号,true,test,"]
        )
    )
    assert problems == []
    assert (await service.write_rows(rows)).created == 1
    found = await service.OwnRegister().look_up(code)
    assert found == service.RegisteredEntity(
        credit_code=code,
        name="测试有限公司",
        address="浙江省杭州市临平区测试路1号",
        active=True,
        is_demo=False,
    )
    assert await service.OwnRegister().look_up(fresh_code()) is None


async def test_a_bad_file_is_refused_whole_with_line_numbers(tmp_path: Path) -> None:
    good, wrong = fresh_code(), fresh_code()
    wrong = wrong[:-1] + next(c for c in ALPHABET if c != wrong[-1])
    path = write_csv(
        tmp_path / "bad.csv",
        [
            f"{good},好公司,某地,true,test,",
            f"{wrong},错公司,某地,true,test,",
            f"{good},重复公司,某地,true,test,",
            f"{fresh_code()},,某地,true,test,",
            f"{fresh_code()},无来源公司,某地,maybe,,",
        ],
    )
    _, problems = service.read_rows(path)
    assert [problem.line for problem in problems] == [3, 4, 5, 6]
    assert "最后一位应为" in problems[0].message  # the check character it should have
    assert not await BusinessEntity.exists().where(BusinessEntity.credit_code == good)


async def test_the_same_file_again_changes_nothing_and_a_change_updates(tmp_path: Path) -> None:
    code = fresh_code()
    first = write_csv(tmp_path / "a.csv", [f"{code},甲公司,甲地,true,test,"])
    assert (await service.write_rows(service.read_rows(first)[0])).created == 1
    again = await service.write_rows(service.read_rows(first)[0])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    moved = write_csv(tmp_path / "b.csv", [f"{code},甲公司,乙地,false,test,"])
    assert (await service.write_rows(service.read_rows(moved)[0])).updated == 1
    found = await service.OwnRegister().look_up(code)
    assert found is not None and found.address == "乙地" and not found.active


async def test_the_demo_entities_are_valid_codes_labelled_as_demo() -> None:
    await service.load_demo_entities()
    assert await service.load_demo_entities() == 0
    for row in service.demo_rows():
        found = await service.OwnRegister().look_up(row["credit_code"])
        assert found is not None and found.is_demo and "演示" in found.name


def test_the_app_gets_the_adapter_its_settings_name_and_refuses_an_unknown_one(app) -> None:
    assert isinstance(app.state.business_register, service.OwnRegister)
    assert isinstance(service.register_for(Settings(business_register="own")), service.OwnRegister)
    with pytest.raises(ValueError, match="IPH_BUSINESS_REGISTER='regulator' names no adapter"):
        service.register_for(Settings(business_register="regulator"))
