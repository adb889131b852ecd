"""Search by title (or mark name) and applicant: substrings of Chinese and Latin text, through the
search index (backend/inquiries/search.py), on both database profiles."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import httpx
import pytest

from backend.inquiries import service
from backend.inquiries.importer import import_file
from backend.inquiries.search import record_terms
from backend.inquiries.tables import Record, RecordSearchTerm, SearchTerm
from tests.inquiries.test_records import new_patent_number, record_line, write_lines

pytestmark = pytest.mark.profiles


def rare_characters(count: int) -> str:
    """Characters of CJK Extension A, which no other test's records use."""
    return "".join(chr(0x3400 + secrets.randbelow(0x19C0)) for _ in range(count))


async def found(client: httpx.AsyncClient, query: str) -> list[str]:
    """The record numbers the search results list, in order."""
    response = await client.get("/records", params={"q": query}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return re.findall(r'href="/records/([^"]+)"', response.text)


async def imported(tmp_path: Path, *lines: dict) -> list[str]:
    path = write_lines(tmp_path / f"{secrets.token_hex(4)}.jsonl", list(lines))
    result = await import_file(path)
    assert not result.problems, result.problems
    return [line["number"] for line in lines]


@pytest.fixture
async def record(tmp_path: Path, client: httpx.AsyncClient) -> dict:
    name, company = rare_characters(4), rare_characters(3)
    line = record_line(
        new_patent_number(2025),
        title=f"一种{name}灌溉控制装置",
        applicants=f"王建国; {company}农业科技有限公司",
        filing_date="2025-06-01",
    )
    await imported(tmp_path, line)
    return {**line, "name": name, "company": company}


@pytest.mark.parametrize("length", [1, 2, 3, 4])
async def test_a_substring_of_the_title_of_any_length_finds_the_record(
    client: httpx.AsyncClient, record: dict, length: int
) -> None:
    assert record["number"] in await found(client, record["name"][:length])


@pytest.mark.parametrize("part", ["first", "middle", "whole", "with the company form"])
async def test_a_substring_of_an_applicant_finds_the_record(
    client: httpx.AsyncClient, record: dict, part: str
) -> None:
    company = record["company"]
    query = {
        "first": company[0],
        "middle": company[1:3],
        "whole": company,
        "with the company form": f"{company}农业科技",
    }[part]
    assert record["number"] in await found(client, query)


async def test_a_substring_spanning_two_applicants_finds_the_record_as_like_would(
    client: httpx.AsyncClient, record: dict
) -> None:
    assert record["number"] in await found(client, f"建国; {record['company'][0]}")


async def test_latin_text_is_found_whatever_its_case_and_across_spaces(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    word = f"Qin{secrets.token_hex(3)}"
    [number] = await imported(
        tmp_path,
        record_line(
            new_patent_number(2025),
            title=f"{word} Smart Irrigation Controller",
            applicants=f"Shaanxi {word} Technology Co., Ltd.",
        ),
    )
    for query in (word.upper(), f"{word.lower()} smart", "T IRRIGATION", f"{word} tech"):
        assert number in await found(client, query), query
    assert number not in await found(client, f"Irrigation {word}")


async def test_a_query_no_record_holds_finds_nothing(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    a, b, c = rare_characters(3)
    [number] = await imported(
        tmp_path, record_line(new_patent_number(2024), title=f"一种{a}{b}{c}{b}{a}装置")
    )
    # The record holds every pair of "aba" ("ab" and "ba") but not "aba" itself.
    assert record_terms(f"{a}{b}{a}", "") <= record_terms(f"{a}{b}{c}{b}{a}", "")
    assert await found(client, f"{a}{b}{a}") == []
    assert await found(client, f"{c}{a}") == []  # a pair no record holds
    assert await found(client, "\ua000") == []  # a character no record holds (Yi syllable)
    assert number in await found(client, f"{c}{b}{a}")


async def test_after_a_reimport_changes_the_title_only_the_new_title_finds_the_record(
    tmp_path: Path, client: httpx.AsyncClient, record: dict
) -> None:
    old_name, new_name = record["name"], rare_characters(4)
    line = {key: value for key, value in record.items() if key not in {"name", "company"}}
    await imported(tmp_path, {**line, "title": f"一种{new_name}茶叶揉捻机"})
    assert record["number"] in await found(client, new_name)
    assert record["number"] in await found(client, new_name[1:3])
    assert record["number"] not in await found(client, old_name)
    assert record["number"] not in await found(client, old_name[1:3])
    assert record["number"] in await found(client, record["company"])  # applicants unchanged
    old_pair = await SearchTerm.select(SearchTerm.records).where(
        SearchTerm.term == old_name[1:3].casefold()
    )
    assert old_pair == [{"records": 0}]
    rows = await RecordSearchTerm.count().where(
        RecordSearchTerm.record == (await record_of(record["number"])).id
    )
    assert rows == len(record_terms(f"一种{new_name}茶叶揉捻机", line["applicants"]))


async def record_of(number: str) -> Record:
    return await Record.objects().where(Record.number == number).first()


async def test_results_come_newest_filing_first_and_stop_at_the_limit(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    applicant = f"{rare_characters(3)}食品有限公司"
    lines = [
        record_line(
            new_patent_number(2020),
            applicants=applicant,
            filing_date=f"2020-{month:02d}-{day:02d}",
        )
        for month in range(1, 13)
        for day in (3, 17)
    ]
    numbers = await imported(tmp_path, *lines)
    results = await service.search(applicant[:2])
    assert [r.number for r in results] == list(reversed(numbers))[: service.SEARCH_LIMIT]


async def test_a_match_behind_a_page_of_near_misses_is_still_found(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    a, b, c = rare_characters(3)
    # Newer records hold every pair of "aba" ("ab" and "ba") but not "aba" itself.
    near_misses = [
        record_line(new_patent_number(2024), title=f"一种{a}{b}{c}{b}{a}装置")
        for _ in range(service.SEARCH_LIMIT * 5 + 1)
    ]
    match = record_line(
        new_patent_number(2018), title=f"一种{a}{b}{a}装置", filing_date="2018-01-01"
    )
    await imported(tmp_path, *near_misses, match)
    assert await found(client, f"{a}{b}{a}") == [match["number"]]


def test_terms_are_each_texts_characters_and_pairs_case_folded_without_whitespace() -> None:
    assert record_terms("Ab c", "王建; 李") == {
        "a",
        "b",
        "ab",
        "c",
        "王",
        "建",
        "王建",
        ";",
        "建;",
        "李",
    }
