"""The home page's one search: services, guides and records, grouped, best group first; a whole
number goes to its record or says why it cannot."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.guides.service import import_guides
from backend.inquiries.numbers import parse_number
from tests.inquiries.test_number_prefix import HINT, SETTINGS
from tests.inquiries.test_records import new_patent_number, record_line
from tests.inquiries.test_search import imported, rare_characters

pytestmark = pytest.mark.profiles

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def group_headings(html: str) -> list[str]:
    return re.findall(r'<h3 class="app-heading-m" id="results-([a-z-]+)"', html)


def links_in_group(html: str, key: str) -> list[str]:
    section = html.split(f'id="results-{key}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'href="([^"]+)"', section)


@pytest.fixture
async def guides() -> None:
    result = await import_guides()  # the real content in content/guides
    assert result.problems == []


@pytest.fixture
async def held_record(tmp_path: Path) -> dict:
    company = rare_characters(3)
    line = record_line(
        new_patent_number(2024),
        title=f"一种{rare_characters(3)}节水灌溉装置",
        applicants=f"{company}农业科技有限公司",
        filing_date="2024-03-01",
    )
    await imported(tmp_path, line)
    return {**line, "company": company}


async def test_annual_fee_lists_the_annual_fee_guides_first(
    client: httpx.AsyncClient, guides: None
) -> None:
    response = await client.get("/search", params={"q": "年费"})
    assert response.status_code == 200
    assert group_headings(response.text)[0] == "guides"
    guide_links = links_in_group(response.text, "guides")
    assert "/guides/patent-annual-fee" in guide_links
    assert "/guides/annual-fee-grace-period" in guide_links
    count = re.search(
        r'id="results-guides">[^<]*<span class="app-results__count">\((\d+)\)', response.text
    )
    assert count and int(count.group(1)) >= 5


async def test_a_group_with_more_results_than_shown_links_to_all_of_them(
    client: httpx.AsyncClient, guides: None
) -> None:
    client.cookies.set("iph_locale", "en")
    response = await client.get("/search", params={"q": "fee"})
    assert "/guides?q=fee" in links_in_group(response.text, "guides")
    shown = re.search(r"All (\d+) results in Policy guides", response.text)
    assert shown, "the guides group links to all of its results"
    everything = await client.get("/guides", params={"q": "fee"})
    listed = set(re.findall(r'href="(/guides/[a-z0-9-]+)"', everything.text.split("<h2", 1)[1]))
    assert len(listed) >= int(shown.group(1))


@pytest.mark.parametrize(
    "typed",
    [
        "{canonical}",
        "{digits}",  # without its dot
        "{head}",  # without its check character
        "ZL{canonical}",
        "CN {year} {kind} {serial}.{check}",
        "zl {year}-{kind}-{serial}",
        "{fullwidth}",
    ],
)
async def test_a_whole_number_in_any_forgiven_form_goes_to_its_record(
    client: httpx.AsyncClient, held_record: dict, typed: str
) -> None:
    canonical = held_record["number"]
    head, check = canonical.split(".")
    form = typed.format(
        canonical=canonical,
        digits=head + check,
        head=head,
        year=head[:4],
        kind=head[4],
        serial=head[5:],
        check=check,
        fullwidth="".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in canonical),
    )
    response = await client.get("/search", params={"q": form})
    assert response.status_code == 303
    assert response.headers["location"] == f"/records/{canonical}"
    fragment = await client.get("/search", params={"q": form}, headers=HTMX)
    assert fragment.headers["hx-redirect"] == f"/records/{canonical}"


async def test_a_mistyped_number_explains_its_check_character(client: httpx.AsyncClient) -> None:
    client.cookies.set("iph_locale", "en")
    head = "201710601862"
    right = parse_number(head).canonical.split(".")[1]
    wrong = "0" if right != "0" else "1"
    response = await client.get("/search", params={"q": f"{head}.{wrong}"})
    assert response.status_code == 200
    assert f"with these digits the check character should be {right}" in response.text


async def test_a_valid_number_not_held_says_so(client: httpx.AsyncClient) -> None:
    client.cookies.set("iph_locale", "en")
    number = new_patent_number(2026)
    response = await client.get("/search", params={"q": number})
    assert response.status_code == 200
    assert f"{number} is a valid number, but we hold no record of it" in response.text


async def test_an_applicant_name_lists_the_record(
    client: httpx.AsyncClient, held_record: dict
) -> None:
    response = await client.get("/search", params={"q": held_record["company"]})
    assert group_headings(response.text) == ["records"]
    assert f"/records/{held_record['number']}" in links_in_group(response.text, "records")
    fragment = await client.get("/search", params={"q": held_record["company"]}, headers=HTMX)
    assert "<html" not in fragment.text
    assert f"/records/{held_record['number']}" in fragment.text


async def test_groups_come_best_match_first(
    client: httpx.AsyncClient, tmp_path: Path, guides: None
) -> None:
    """A record whose title *is* the query comes before guides that only mention it."""
    title = f"年费{rare_characters(2)}"
    await imported(tmp_path, record_line(new_patent_number(2025), title=title))
    response = await client.get("/search", params={"q": title})
    assert group_headings(response.text)[0] == "records"


async def test_one_group_in_full_and_a_way_back_to_every_group(
    client: httpx.AsyncClient,
) -> None:
    client.cookies.set("iph_locale", "en")
    response = await client.get("/search", params={"q": "patent", "group": "services"})
    assert group_headings(response.text) == ["services"]
    assert 'href="/search?q=patent"' in response.text
    unknown = await client.get("/search", params={"q": "patent", "group": "no-such-group"})
    assert unknown.status_code == 200 and "services" in group_headings(unknown.text)


async def test_a_query_no_domain_holds_finds_nothing_in_any_language(
    client: httpx.AsyncClient,
) -> None:
    query = "zz" + "".join(secrets.choice("qwxyz") for _ in range(10))
    for locale, words in (
        ("en", "Nothing found"),
        ("zh_Hans", "没有找到"),
        ("zh_Hant", "沒有找到"),
    ):
        client.cookies.set("iph_locale", locale)
        response = await client.get("/search", params={"q": query})
        assert words in response.text, locale


async def test_the_first_digits_of_a_held_number_list_it_among_the_records(
    client: httpx.AsyncClient, held_record: dict
) -> None:
    digits = held_record["number"].replace(".", "")
    for typed in (digits[:10], f"ZL {digits[:4]} {digits[4]} {digits[5:10]}", f"CN{digits[:9]}"):
        response = await client.get("/search", params={"q": typed})
        assert response.status_code == 200, typed
        assert f"/records/{held_record['number']}" in links_in_group(response.text, "records")


async def test_fewer_than_six_digits_say_how_numbers_look(client: httpx.AsyncClient) -> None:
    client.cookies.set("iph_locale", "en")
    response = await client.get("/search", params={"q": "2017 1"})
    assert response.status_code == 200
    assert HINT in response.text


@settings(SETTINGS, max_examples=40)
@given(
    typed=st.text(alphabet=st.sampled_from("0123456789０１２３ .-xX"), min_size=1, max_size=20).map(
        lambda digits: digits if digits.strip() else "0"
    ),
    prefix=st.sampled_from(["", "CN", "ZL ", "zl", "G"]),
)
async def test_no_query_of_digits_answers_a_server_error(
    client: httpx.AsyncClient, typed: str, prefix: str
) -> None:
    response = await client.get("/search", params={"q": prefix + typed})
    assert response.status_code in {200, 303}, response.text
