"""The first digits of a number list the records whose number begins with them, on both database
profiles: any form the number parser forgives, paged, never a server error."""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backend.inquiries import service
from backend.inquiries.demo import SEED, _row
from backend.inquiries.importer import write_rows
from backend.inquiries.numbers import check_character, typed_digits
from tests.inquiries.test_records import record_line
from tests.inquiries.test_search import imported

pytestmark = pytest.mark.profiles

HINT = (
    "An application number has 12 digits and a check character, e.g. 201710601862.3; a "
    "trademark number 7 or 8 digits, e.g. 17593425. Type at least 6 digits to list the numbers "
    "that begin with them."
)
SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


async def listed(client: httpx.AsyncClient, query: str, page: int | None = None) -> httpx.Response:
    """/records in English, as htmx asks for it."""
    client.cookies.set("iph_locale", "en")
    params = {"q": query} if page is None else {"q": query, "page": page}
    return await client.get("/records", params=params, headers={"HX-Request": "true"})


def numbers_in(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return re.findall(r'<a href="/records/([^"]+)"', response.text)


def next_page(response: httpx.Response) -> str | None:
    found = re.search(r'rel="next" href="([^"]+)"', response.text)
    return found and found.group(1).replace("&amp;", "&")


async def every_page(client: httpx.AsyncClient, query: str) -> list[list[str]]:
    """The numbers listed on each page, following the "next page" links."""
    response = await listed(client, query)
    pages = [numbers_in(response)]
    while href := next_page(response):
        response = await client.get(href, headers={"HX-Request": "true"})
        pages.append(numbers_in(response))
    return pages


def old_patent_number(rng: random.Random) -> str:
    digits = f"{rng.choice([*range(85, 100), 0, 1, 2, 3]):02d}{rng.choice('123')}"
    digits += f"{rng.randrange(10**5):05d}"
    return f"{digits}.{check_character(digits)}"


def current_patent_number(prefix: str, rng: random.Random) -> str:
    digits = prefix + "".join(rng.choice("0123456789") for _ in range(12 - len(prefix)))
    return f"{digits}.{check_character(digits)}"


@pytest.fixture(scope="module")
async def held(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Records of every number form: current and old patents and trademarks made here, and the
    first 200 of the demo generator's (imported again unchanged if another test did)."""
    rng = random.Random(secrets.randbits(32))
    made = [current_patent_number(f"20{rng.randrange(3, 27):02d}1", rng) for _ in range(6)]
    made += [old_patent_number(rng) for _ in range(4)]
    made += [str(rng.randrange(10**6, 10**8)) for _ in range(4)]
    lines = [
        record_line(number, kind="trademark", stage="tm_registered", events=[])
        if "." not in number
        else record_line(number)
        for number in made
    ]
    await imported(tmp_path_factory.mktemp("held"), *lines)
    demo_used: set[str] = set()
    demo_rng = random.Random(SEED)
    demo = [_row(demo_rng, index, dt.date(2026, 11, 25), demo_used) for index in range(200)]
    await write_rows(demo)
    return made + [row.number for row in demo]


FULL_WIDTH = {str(digit): chr(0xFF10 + digit) for digit in range(10)}


@st.composite
def typed_prefix(draw: st.DrawFn, number: str) -> str:
    """A prefix of six digits or more of `number`'s digits before its dot, as a person types it."""
    digits = number.split(".")[0]
    length = draw(st.integers(min(6, len(digits)), len(digits)))
    typed = ""
    for digit in digits[:length]:
        if typed and draw(st.booleans()):
            typed += draw(st.sampled_from([" ", "-", "  ", " - ", "."]))
        typed += FULL_WIDTH[digit] if draw(st.booleans()) else digit
    prefix = draw(st.sampled_from(["", "", "CN", "CN ", "ZL", "zl ", "ＣＮ"]))
    return prefix + typed


@settings(SETTINGS, max_examples=60)
@given(data=st.data())
async def test_any_six_digits_or_more_of_a_held_number_typed_in_any_form_list_it_on_some_page(
    client: httpx.AsyncClient, held: list[str], data: st.DataObject
) -> None:
    number = data.draw(st.sampled_from(held))
    query = data.draw(typed_prefix(number))
    # A prefix that is itself another record's whole number goes to that record instead.
    try:
        exact = (await service.record_by_number(query)).number
    except (service.InvalidNumber, service.RecordNotFound):
        exact = number
    assume(exact == number)
    pages = await every_page(client, query)
    assert any(number in page for page in pages), (query, pages)
    digits = typed_digits(query)
    for page in pages:
        assert all(listed.startswith(digits) for listed in page), (query, page)


async def test_the_records_of_a_prefix_come_highest_number_first_twenty_a_page(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    prefix = f"20261{secrets.randbelow(10**5):05d}"  # ten digits: 100 numbers, 45 of them held
    rng = random.Random(prefix)
    numbers = {current_patent_number(prefix, rng) for _ in range(200)}
    chosen = sorted(numbers)[:45]
    await imported(tmp_path, *(record_line(number) for number in chosen))
    typed = f"ZL {prefix[:4]} {prefix[4]} {prefix[5:]}"

    pages = await every_page(client, typed)

    assert pages == [
        sorted(chosen, reverse=True)[:20],
        sorted(chosen, reverse=True)[20:40],
        sorted(chosen, reverse=True)[40:],
    ]
    first = await listed(client, typed)
    assert f"45 records whose number begins with {prefix}" in first.text
    assert 'rel="prev"' not in first.text
    last = await client.get("/records", params={"q": typed, "page": 3})  # the page itself
    assert "<html" in last.text and 'rel="next"' not in last.text
    assert f'rel="prev" href="/records?q={typed.replace(" ", "+")}&amp;page=2"' in last.text


async def test_past_the_count_limit_the_total_is_a_lower_bound_and_no_page_follows(
    tmp_path: Path, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"20251{secrets.randbelow(10**5):05d}"
    rng = random.Random(prefix)
    chosen = sorted({current_patent_number(prefix, rng) for _ in range(200)})[:45]
    await imported(tmp_path, *(record_line(number) for number in chosen))
    monkeypatch.setattr(service, "NUMBER_PREFIX_COUNTED_UP_TO", 30)

    first = await service.records_by_number_prefix(prefix, per_page=20)
    last = await service.records_by_number_prefix(prefix, page=99, per_page=20)

    assert (first.total, first.total_is_lower_bound, first.has_next) == (30, True, True)
    assert (last.page, last.has_previous, last.has_next) == (2, True, False)
    assert [hit.number for hit in last.records] == sorted(chosen, reverse=True)[20:40]
    response = await listed(client, prefix)
    assert f"30+ records whose number begins with {prefix}" in response.text


async def test_a_page_past_the_last_shows_the_last(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    prefix = f"20241{secrets.randbelow(10**5):05d}"
    rng = random.Random(prefix)
    chosen = sorted({current_patent_number(prefix, rng) for _ in range(200)})[:45]
    await imported(tmp_path, *(record_line(number) for number in chosen))

    past_the_end = await service.records_by_number_prefix(prefix, page=7, per_page=20)

    assert (past_the_end.page, past_the_end.total, past_the_end.has_next) == (3, 45, False)
    assert [hit.number for hit in past_the_end.records] == sorted(chosen, reverse=True)[40:]


async def test_a_trademark_numbers_first_digits_list_it(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    number = f"9{secrets.randbelow(10**7):07d}"
    line = record_line(number, kind="trademark", stage="tm_registered", events=[])
    await imported(tmp_path, line)
    assert number in numbers_in(await listed(client, f"{number[:4]} {number[4:7]}"))
    assert numbers_in(await listed(client, number)) == [number]  # the whole number: its record


@pytest.mark.parametrize("query", ["20171", "CN 2", "ZL 2017 1", "１７５９３", "0"])
async def test_fewer_than_six_digits_say_how_many_digits_a_number_has(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await listed(client, query)
    assert response.status_code == 200
    assert f'<p class="app-notice">{HINT}</p>' in response.text
    assert "Nothing found" not in response.text


async def test_the_hint_is_in_each_locale(client: httpx.AsyncClient) -> None:
    hints = {}
    for locale in ("zh_Hans", "zh_Hant"):
        client.cookies.set("iph_locale", locale)
        hints[locale] = (await client.get("/records", params={"q": "20171"})).text
    assert "至少输入 6 位数字" in hints["zh_Hans"]
    assert "至少輸入 6 位數字" in hints["zh_Hant"]


async def test_six_digits_or_more_that_no_number_begins_with_say_so(
    client: httpx.AsyncClient,
) -> None:
    response = await listed(client, "CN 1984 10")  # no current number has the year 1984
    assert "We hold no record whose number begins with 198410." in response.text
    too_long = await listed(client, "2017106018623456")
    assert "This number has the wrong length" in too_long.text


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("ZL 2026 10", "202610"),
        ("CN2017-1060", "20171060"),
        ("２０１７．１０６", "2017106"),
        ("2017 1 0601862.3", "2017106018623"),
        ("ZL", None),
        (".", None),
        ("", None),
        ("201710601862.X", None),
        ("G1234567", None),
        ("一种2017", None),
    ],
)
def test_typed_digits_are_the_digits_of_text_that_holds_nothing_else(
    text: str, digits: str | None
) -> None:
    assert typed_digits(text) == digits


@pytest.mark.parametrize(
    ("digits", "upper"),
    [("201710", "201711"), ("2017199", "20172"), ("1999999", "2"), ("999999", "A")],
)
def test_the_range_of_a_prefix_ends_where_the_next_prefix_begins(digits: str, upper: str) -> None:
    assert service.number_prefix_range(digits) == (digits, upper)


async def test_a_query_that_is_not_only_digits_is_not_a_number_prefix() -> None:
    for query in ("ZL", ".", "灌溉", "2017106x", "G12345678"):
        assert await service.records_by_number_prefix(query) is None


DIGITISH = st.text(
    st.sampled_from([*"0123456789", "０", "９", " ", "-", ".", "。", "X", "x", "G", "_"]),
    max_size=20,
)


@settings(SETTINGS, max_examples=150)
@given(
    body=DIGITISH,
    prefix=st.sampled_from(["", "CN", "ZL", "cn ", "ZL ZL", "ＺＬ"]),
    page=st.one_of(st.none(), st.integers(-5, 10**12)),
)
async def test_no_query_of_digits_answers_a_server_error(
    client: httpx.AsyncClient, held: list[str], body: str, prefix: str, page: int | None
) -> None:
    response = await listed(client, prefix + body, page)
    assert response.status_code == 200, response.text
