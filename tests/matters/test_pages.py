"""Matter pages: the list by area and each matter's requirements in three locales, within the
budget; an unknown code not found; the guides' related matters and the site search."""

from __future__ import annotations

import gzip
import re

import httpx
import pytest
from markupsafe import escape

from backend.guides.service import import_guides
from backend.matters.catalogue import catalogue

LOCALES = ("zh_Hans", "zh_Hant", "en")
CODES = sorted(catalogue().codes)
BUDGET = 10_000  # bytes compressed, for a page or a fragment (DESIGN.md "Budgets")


def shown(text) -> str:
    """A catalogue text in the locale as the page writes it (HTML-escaped)."""
    return str(escape(text))


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_list_shows_every_matter_by_area_with_its_promised_time(
    client: httpx.AsyncClient, locale: str
) -> None:
    client.cookies.set("iph_locale", locale)
    response = await client.get("/matters")
    assert response.status_code == 200
    page = response.text
    for matter in catalogue().matters:
        assert f'href="/matters/{matter.code}"' in page
        assert shown(matter.name.of(locale)) in page and shown(matter.summary.of(locale)) in page
    headings = re.findall(r'<h2 class="app-heading-m" id="area-([a-z-]+)"', page)
    assert headings == ["patents", "trademarks", "geographical-indications", "account"]
    working_days = {"zh_Hans": "个工作日内", "zh_Hant": "個工作日內", "en": "working days"}
    assert working_days[locale] in page


async def test_the_list_follows_accept_language_without_a_cookie(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/matters", headers={"Accept-Language": "en-GB,en;q=0.9"})).text
    assert "Renewal of a registered trademark" in page


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("code", CODES)
async def test_a_matter_page_says_what_it_needs_how_long_and_what_it_costs(
    client: httpx.AsyncClient, code: str, locale: str
) -> None:
    matter = catalogue().get(code)
    client.cookies.set("iph_locale", locale)
    response = await client.get(f"/matters/{code}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    page = response.text
    assert shown(matter.name.of(locale)) in page
    assert shown(matter.who_may_apply.of(locale)) in page
    for document in matter.documents:
        assert shown(document.name.of(locale)) in page
    for group in matter.questions:
        assert shown(group.title.of(locale)) in page
    assert f'href="/guides/{matter.guide}"' in page and 'href="/outlets"' in page
    assert f'href="/matters/{code}/new"' in page  # filing from the phone
    assert str(matter.promised.working_days) in page
    if matter.fee.note:
        assert shown(matter.fee.note.of(locale)) in page
    assert len(gzip.compress(response.content)) <= BUDGET


async def test_documents_a_commitment_may_replace_are_marked_and_its_text_shown(
    client: httpx.AsyncClient,
) -> None:
    client.cookies.set("iph_locale", "en")
    page = (await client.get("/matters/trademark-change")).text
    assert page.count("A signed commitment may replace it") == 2  # the two replaceable ones
    commitment = catalogue().get("trademark-change").current_commitment
    assert f"(version {commitment.version})" in page
    assert shown(commitment.text.en) in page
    assert "it is not a time limit set by law" in page  # the app's own default


async def test_a_time_limit_in_law_is_shown_with_its_source(client: httpx.AsyncClient) -> None:
    page = (await client.get("/matters/evaluation-report-request")).text
    assert "2个月内作出专利权评价报告" in page and "《中华人民共和国专利法实施细则》" in page


async def test_an_unknown_matter_is_a_not_found_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/matters/no-such-matter")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_list_is_within_the_budget(client: httpx.AsyncClient, locale: str) -> None:
    client.cookies.set("iph_locale", locale)
    response = await client.get("/matters")
    assert len(gzip.compress(response.content)) <= BUDGET


@pytest.mark.parametrize(
    ("locale", "name"),
    [
        ("zh_Hans", "专利权人（申请人）名称、地址变更"),
        ("zh_Hant", "專利權人（申請人）名稱、地址變更"),
        ("en", "Change of a patent holder&#39;s or applicant&#39;s name or address"),
    ],
)
async def test_a_guide_links_its_related_matters_by_name(
    client: httpx.AsyncClient, locale: str, name: str
) -> None:
    assert (await import_guides()).problems == []
    client.cookies.set("iph_locale", locale)
    page = (await client.get("/guides/patent-bibliographic-change")).text
    assert f'<a href="/matters/bibliographic-change">{name}</a>' in page


async def test_a_guide_leaves_out_matters_the_catalogue_does_not_hold(
    client: httpx.AsyncClient,
) -> None:
    assert (await import_guides()).problems == []
    page = (await client.get("/guides/annual-fee-grace-period")).text  # annual-fee-payment too
    assert 'href="/matters/restoration-request"' in page
    assert "annual-fee-payment" not in page


@pytest.mark.parametrize(
    ("locale", "query", "title"),
    [
        ("zh_Hans", "续展", "注册商标续展"),
        ("zh_Hans", "评价报告", "专利权评价报告请求"),
        ("en", "renewal", "Renewal of a registered trademark"),
        ("en", "fee reduction", "Request for a reduction of patent fees"),
        ("en", "续展", "Renewal of a registered trademark"),
    ],
)
async def test_the_site_search_lists_matters_in_their_own_group(
    client: httpx.AsyncClient, locale: str, query: str, title: str
) -> None:
    client.cookies.set("iph_locale", locale)
    page = (await client.get("/search", params={"q": query})).text
    heading = {"zh_Hans": "办理事项", "en": "Matters"}[locale]
    assert heading in page and title in page


async def test_the_home_tile_and_the_bottom_nav_lead_to_the_matters(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/")).text
    assert page.count('href="/matters"') >= 2
    assert "/#services" not in page
