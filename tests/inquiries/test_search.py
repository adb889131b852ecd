"""Search by title (or mark name) and applicant: substrings of Chinese and Latin text, through the
search index (backend/inquiries/search.py), on both database profiles."""

from __future__ import annotations

import importlib
import re
import secrets
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from piccolo.columns.combination import WhereRaw

from backend.inquiries import search, service
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
    # Not `== []`: the other tests' records share the database (on PostgreSQL, one for the
    # whole run), and a random title among them may hold the pair (a CI run met one).
    assert number not in await found(client, f"{a}{b}{a}")
    assert number not in await found(client, f"{c}{a}")  # a pair this record does not hold
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


def test_terms_are_each_texts_characters_pairs_and_the_characters_around_each_space_folded() -> (
    None
):
    assert record_terms("Ab c", "王建; 李") == {
        "a",
        "b",
        "ab",
        "b c",
        "c",
        "王",
        "建",
        "王建",
        ";",
        "建;",
        "; 李",
        "李",
    }
    # Any single whitespace character is a plain space in the term; a run of it has no term.
    assert record_terms("a\tb\u3000c  d", "") == {"a", "b", "c", "d", "a b", "b c"}


# Whole words: a query's interior words are required terms.

# Latin words (ß and İ fold to longer text), Chinese, and the separators of names (with runs of
# whitespace and whitespace other than a space).
WORD_ALPHABET = "abAB1ßİ王李"
SEPARATORS = [" ", ", ", ". ", "; ", "-", "", ".", "  ", "\t", " - ", "\u3000"]
TEXT_ALPHABET = WORD_ALPHABET + "".join(SEPARATORS)


def word_terms_of(title: str, applicants: str) -> set[str]:
    terms = record_terms(title, applicants)
    return {term for term in terms if len(term) > 2 and not search.is_space_term(term)}


def space_terms_of(title: str, applicants: str) -> set[str]:
    return {term for term in record_terms(title, applicants) if search.is_space_term(term)}


def test_terms_hold_each_latin_word_of_three_characters_or_more_but_no_chinese_runs() -> None:
    assert word_terms_of("HUIHUA", "Shaanxi Huihua Materials Co., Ltd.; 王建国") == {
        "huihua",
        "shaanxi",
        "materials",
        "ltd",
    }
    assert word_terms_of("一种智能灌溉控制装置", "西安秦川科技有限公司") == set()
    assert word_terms_of("Model X-200 pump", "") == {"model", "200", "pump"}
    assert word_terms_of("a" * 40, "") == {"a" * search.WORD_TERM_LENGTH}


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        # The words at the ends may be parts of longer ones: only their pairs are required.
        ("xi huihua materials co", {"xi", "i h", "huihua", "a m", "materials", "s c", "co"}),
        ("huihua", {"hu", "ui", "ih", "ua"}),
        (" ltd.", {"ltd", "d."}),
        ("co., ltd. x", {"co", "o.", ".,", ", l", "ltd", "d.", ". x"}),
        ("co., lt", {"co", "o.", ".,", ", l", "lt"}),
        ("王建国; 李", {"王建", "建国", "国;", "; 李"}),
        ("王", {"王"}),
        # Space terms link partial words: the case a word term cannot help with.
        ("xi ch", {"xi", "i c", "ch"}),
        ("a b", {"a", "a b", "b"}),
        ("a  b", {"a", "b"}),
    ],
)
def test_a_query_requires_its_interior_words_and_the_pairs_outside_them(
    query: str, terms: set[str]
) -> None:
    assert search.query_terms(query) == terms


async def test_a_latin_name_with_partial_words_at_both_ends_finds_the_record(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    word = f"Hui{secrets.token_hex(4)}"
    [number] = await imported(
        tmp_path,
        record_line(
            new_patent_number(2025),
            title=f"{word.upper()} Smart Irrigation Controller",
            applicants=f"Shaanxi {word} Materials Co., Ltd.; 王建国",
        ),
    )
    for query in (
        f"anxi {word} Mater",
        f"Shaanxi {word} Materials Co., Ltd.",
        f"{word[2:]} materials co., lt",
        f"{word} smart irrigation cont",
        f"{word[3:]} Materials Co., Ltd.; 王建",
    ):
        assert number in await found(client, query), query
    # An interior word must be whole: a shorter one is a different word.
    assert await found(client, f"anxi {word[:-1]} materials") == []
    assert await found(client, f"anxi x{word} materials") == []


async def test_a_word_longer_than_a_term_is_found_whole_and_not_by_a_longer_word(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    word = "Polytetrafluoroethylene" + secrets.token_hex(8)  # 39 characters
    [number] = await imported(
        tmp_path, record_line(new_patent_number(2025), applicants=f"Xi'an {word} Co., Ltd.")
    )
    assert number in await found(client, f"an {word} co")
    assert await found(client, f"an {word}x co") == []


def migration_adding_words():
    return importlib.import_module(
        "backend.inquiries.piccolo_migrations.inquiries_2026_11_26t00_45_56_865784"
    )


def migration_adding_spaces():
    return importlib.import_module(
        "backend.inquiries.piccolo_migrations.inquiries_2026_11_26t01_31_40_215508"
    )


async def test_the_migrations_give_records_indexed_before_words_their_word_and_space_terms(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    word = f"Qin{secrets.token_hex(4)}"
    [number] = await imported(
        tmp_path,
        record_line(new_patent_number(2025), applicants=f"Shaanxi {word} Foods Co., Ltd."),
    )
    record_id = (await record_of(number)).id
    # As the index was before words: no rows, no counts of terms of three characters or more.
    old_index = WhereRaw("length(term) >= 3")
    await RecordSearchTerm.delete().where((RecordSearchTerm.record == record_id) & old_index)
    await SearchTerm.delete().where(old_index)
    assert await found(client, f"xi {word} foods") == []

    await migration_adding_words().index_words_of_records_already_held()
    await migration_adding_spaces().index_spaces_of_records_already_held()

    assert number in await found(client, f"xi {word} foods")
    rows = await RecordSearchTerm.select(RecordSearchTerm.term).where(
        RecordSearchTerm.record == record_id
    )
    assert {row["term"] for row in rows} == record_terms(
        "一种智能灌溉控制装置", f"Shaanxi {word} Foods Co., Ltd."
    )
    assert await SearchTerm.select(SearchTerm.records).where(
        SearchTerm.term == word.casefold()
    ) == [{"records": 1}]


async def test_the_space_migration_gives_records_indexed_before_it_their_space_terms_even_twice(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    word = f"Qin{secrets.token_hex(4)}"
    [number] = await imported(
        tmp_path,
        record_line(new_patent_number(2025), applicants=f"Shaanxi {word} Foods Co., Ltd."),
    )
    record_id = (await record_of(number)).id
    # As the index was before space terms: no rows, no counts of them.
    old_index = WhereRaw("length(term) = 3 AND substr(term, 2, 1) = ' '")
    await RecordSearchTerm.delete().where((RecordSearchTerm.record == record_id) & old_index)
    await SearchTerm.delete().where(old_index)
    assert await found(client, f"xi {word[:5]}") == []

    for _ in range(2):
        await migration_adding_spaces().index_spaces_of_records_already_held()

        assert number in await found(client, f"xi {word[:5]}")
        rows = await RecordSearchTerm.select(RecordSearchTerm.term).where(
            RecordSearchTerm.record == record_id
        )
        assert sorted(row["term"] for row in rows) == sorted(
            record_terms("一种智能灌溉控制装置", f"Shaanxi {word} Foods Co., Ltd.")
        )
        held = await RecordSearchTerm.count().where(RecordSearchTerm.term == "i q")
        assert await SearchTerm.select(SearchTerm.records).where(SearchTerm.term == "i q") == [
            {"records": held}
        ]


@given(st.text(TEXT_ALPHABET, max_size=30), st.text(TEXT_ALPHABET, max_size=30))
def test_the_migration_makes_the_word_terms_search_makes(title: str, applicants: str) -> None:
    assert migration_adding_words().word_terms(title, applicants) == word_terms_of(
        title, applicants
    )


@given(st.text(TEXT_ALPHABET, max_size=30), st.text(TEXT_ALPHABET, max_size=30))
def test_the_migration_makes_the_space_terms_search_makes(title: str, applicants: str) -> None:
    assert migration_adding_spaces().space_terms(title, applicants) == space_terms_of(
        title, applicants
    )


# Property: the search finds exactly the records holding the query.


@st.composite
def records_and_query(draw: st.DrawFn) -> tuple[list[tuple[str, str]], str]:
    words = st.text(WORD_ALPHABET, min_size=1, max_size=6)
    separators = st.sampled_from(SEPARATORS)
    texts = st.lists(st.tuples(words, separators), min_size=1, max_size=5).map(
        lambda parts: "".join(word + separator for word, separator in parts).strip()
    )
    records = draw(st.lists(st.tuples(texts, texts), min_size=1, max_size=6))
    source = draw(st.sampled_from([text for pair in records for text in pair]))
    start = draw(st.integers(0, len(source)))
    end = draw(st.integers(start, len(source)))
    # A part of a record's text (partial words at both ends, several words), or any text.
    query = draw(st.one_of(st.just(source[start:end]), texts)).strip()
    assume(query)
    return records, query


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=records_and_query())
async def test_the_search_finds_exactly_the_records_whose_title_or_applicants_hold_the_query(
    tmp_path: Path, client: httpx.AsyncClient, case: tuple[list[tuple[str, str]], str]
) -> None:
    texts, query = case
    numbers = await imported(
        tmp_path,
        *(
            record_line(
                new_patent_number(2021),
                title=title,
                applicants=applicants,
                filing_date=f"2021-0{1 + index % 3}-01",
            )
            for index, (title, applicants) in enumerate(texts)
        ),
    )
    try:
        every_record = await Record.select(Record.number, Record.title, Record.applicants).order_by(
            Record.filing_date, Record.id, ascending=False
        )
        needle = query.casefold()
        expected = [
            row["number"]
            for row in every_record
            if needle in row["title"].casefold() or needle in row["applicants"].casefold()
        ]
        got = await search.find_records(query, limit=len(every_record) + 1)
        assert [record.number for record in got] == expected
    finally:
        await Record.delete().where(Record.number.is_in(numbers))
