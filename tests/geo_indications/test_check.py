"""/gi/check, the authenticity check by credit code, and `litestar iph import gi-users`
(docs/import-gi.md, "Authorised users"): an authorised user's code leads to their GI, another
valid code is said not to be in the register, a mistyped one is explained with the input kept."""

from __future__ import annotations

import html
import json
import secrets
from pathlib import Path

import httpx
import pytest

from backend.geo_indications.authorised_users import (
    demo_code,
    demo_rows,
    import_file,
    load_demo_users,
)
from backend.geo_indications.credit_code import ALPHABET, check_character, parse_credit_code
from backend.geo_indications.importer import import_file as import_products
from backend.geo_indications.tables import AuthorisedUser, GIProduct

pytestmark = pytest.mark.profiles

ANSWER_NOT_LISTED = {
    "en": "is not an authorised user in our register",
    "zh_Hans": "不是我们登记册中的授权用户",
}


def fresh_code(prefix: str = "91510100") -> str:
    """A valid code no other test uses."""
    first17 = prefix + "".join(secrets.choice(ALPHABET) for _ in range(17 - len(prefix)))
    return first17 + check_character(first17)


def write_lines(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


async def a_product(tmp_path: Path) -> tuple[str, int]:
    name = f"测试{secrets.token_hex(3)}茶"
    result = await import_products(
        write_lines(tmp_path / "gi.jsonl", [{"name": name, "province": "四川", "source": "test"}])
    )
    assert result.problems == []
    row = await GIProduct.select(GIProduct.id).where(GIProduct.name == name).first()
    return name, row["id"]


async def an_authorised_user(tmp_path: Path, **extra) -> tuple[str, int, str]:
    name, product_id = await a_product(tmp_path)
    code = extra.pop("code", None) or fresh_code()
    row = {"product": name, "province": "四川省", "producer": f"{name}合作社", "code": code}
    result = await import_file(
        write_lines(tmp_path / "users.jsonl", [{**row, "source": "test", **extra}])
    )
    assert result.problems == [] and result.created == 1
    return name, product_id, code


async def check(client: httpx.AsyncClient, code: str, locale: str = "en") -> str:
    client.cookies.set("iph_locale", locale)
    response = await client.get("/gi/check", params={"code": code})
    assert response.status_code == 200
    return html.unescape(response.text)


async def test_the_code_of_an_authorised_user_leads_to_their_gi_and_since_when(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    name, product_id, code = await an_authorised_user(
        tmp_path, approved_on="2024-03-05", announcement="第123号公告"
    )
    # Typed the way people type from a label: lower case, spaced, a full-width digit.
    full_width = "".join(chr(ord(character) + 0xFEE0) for character in code[12:])
    typed = f"{code[:6].lower()} {code[6:12]}-{full_width}"
    page = await check(client, typed)
    assert f"Yes: {code} is an authorised user" in page
    assert f'href="/gi/{product_id}"' in page and name in page and f"{name}合作社" in page
    assert "2024" in page and "第123号公告" in page
    assert "demo entry" not in page


async def test_a_valid_code_of_a_producer_who_is_not_authorised_is_said_so_with_what_to_do(
    client: httpx.AsyncClient,
) -> None:
    code = fresh_code()
    for locale, words in ANSWER_NOT_LISTED.items():
        page = await check(client, code, locale)
        assert words in page
        assert 'href="/guides/gi-authorised-user-check"' in page
        assert 'aria-invalid="true"' not in page


@pytest.mark.parametrize("position", [0, 1, 2, 7, 8, 12, 16, 17])
async def test_a_single_changed_character_is_refused_with_the_check_explained(
    client: httpx.AsyncClient, tmp_path: Path, position: int
) -> None:
    _, _, code = await an_authorised_user(tmp_path)
    replacement = ALPHABET[(ALPHABET.index(code[position]) + 7) % len(ALPHABET)]
    mistyped = code[:position] + replacement + code[position + 1 :]
    page = await check(client, mistyped)
    expected = check_character(mistyped[:17])
    assert f"with these characters the last one should be {expected}" in page
    assert 'aria-invalid="true"' in page and f'value="{mistyped}"' in page  # the input kept
    assert "is an authorised user" not in page


async def test_look_alike_letters_and_wrong_lengths_are_explained_in_the_persons_language(
    client: httpx.AsyncClient,
) -> None:
    code = fresh_code()
    with_o = code[:3] + "O" + code[4:]
    assert "did you mean 0?" in await check(client, with_o)
    assert "您是不是想输入数字 0" in await check(client, with_o, "zh_Hans")
    assert "this one has 17" in await check(client, code[:-1])
    assert "Enter the credit code printed" in await check(client, "  ")


async def test_a_rural_collectives_code_with_letters_in_the_first_eight_places_is_accepted(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    code = fresh_code("N2C51010")  # authority N, letters in places 1 and 3
    assert parse_credit_code(code).registration_authority == "N"
    name, _, _ = await an_authorised_user(tmp_path, code=code)
    assert name in await check(client, code)


async def test_the_check_page_answers_htmx_with_its_fragment_only(
    client: httpx.AsyncClient,
) -> None:
    client.cookies.set("iph_locale", "en")
    empty = await client.get("/gi/check")
    assert empty.status_code == 200 and 'name="code"' in empty.text
    assert "There is a problem" not in empty.text
    fragment = await client.get("/gi/check", params={"code": "X"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "There is a problem" in fragment.text and "HX-Request" in fragment.headers["vary"]


async def test_a_product_page_lists_its_authorised_users_and_links_the_check(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    name, product_id, _ = await an_authorised_user(tmp_path, demo=True)
    client.cookies.set("iph_locale", "zh_Hans")
    page = (await client.get(f"/gi/{product_id}")).text
    assert f"{name}合作社" in page and "演示数据" in page and 'href="/gi/check"' in page
    assert 'href="/gi/check"' in (await client.get("/gi")).text


async def test_an_import_with_a_bad_row_is_refused_whole_by_line_and_a_reimport_changes_nothing(
    tmp_path: Path,
) -> None:
    name, product_id = await a_product(tmp_path)
    good = [
        {"product": name, "province": "四川", "producer": "甲", "code": fresh_code()},
        {"product": name, "province": "510000", "producer": "乙", "code": fresh_code()},
    ]
    good = [{**row, "source": "test"} for row in good]
    bad_code = good[0]["code"][:-1] + ("0" if good[0]["code"][-1] != "0" else "1")
    bad = [
        *good,
        {**good[0], "code": bad_code},
        {**good[0], "product": "没有的产品"},
        {**good[0], "producer": ""},
        {**good[1]},
    ]
    refused = await import_file(write_lines(tmp_path / "bad.jsonl", bad))
    assert [p.line for p in refused.problems] == [3, 4, 5, 6]
    assert "check-character" in refused.problems[0].message
    assert "没有的产品" in refused.problems[1].message
    assert "repeats line 2" in refused.problems[3].message
    assert await AuthorisedUser.count().where(AuthorisedUser.product == product_id) == 0

    csv_file = tmp_path / "users.csv"
    csv_file.write_text(
        "product,province,producer,code,approved_on,announcement,source\n"
        + "".join(f"{name},四川省,{r['producer']},{r['code']},2023-01-02,,test\n" for r in good),
        "utf-8",
    )
    first = await import_file(csv_file)
    assert (first.created, first.updated, first.unchanged, first.problems) == (2, 0, 0, [])
    again = await import_file(csv_file)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_the_demo_codes_are_valid_fictitious_and_marked_as_demo() -> None:
    rows = demo_rows()
    assert len({row["code"] for row in rows}) == len(rows) >= 10
    for row in rows:
        code = parse_credit_code(row["code"])
        assert code.organisation_code.startswith("DEM") and row["demo"] is True
        assert "演示" in row["producer"]
    assert any(parse_credit_code(row["code"]).registration_authority == "N" for row in rows)
    assert demo_code("91", "510100", 1) == demo_code("91", "510100", 1)


async def test_the_demo_entries_load_only_into_an_empty_register() -> None:
    if await AuthorisedUser.count() > 0:
        assert await load_demo_users() == 0
