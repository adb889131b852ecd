"""The GI directory: browse counts, the paged list, one record, and the seed.

A query is searched by backend/geo_indications/search.py (characters, pinyin, initials, mixed,
category words), with suggestions when it finds nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
from piccolo.query.methods.select import Count

from backend.core import regions
from backend.geo_indications import search
from backend.geo_indications.importer import CNIPA_SOURCE, import_file
from backend.geo_indications.schemas import (
    PlaceCount,
    ProductList,
    ProductPage,
    ProductSummary,
)
from backend.geo_indications.tables import GIProduct

PAGE_SIZE = 20
MAX_QUERY = 50
SEED_DIR = Path(__file__).parent / "seed"
# The CNIPA announcements' facts, then the team's compilation of the best-known products they
# lack (seed/README.md), each row with its own source.
CNIPA_SEED_FILE = SEED_DIR / "gi-products.jsonl"
COMPILED_SEED_FILE = SEED_DIR / "gi-products-compiled.jsonl"
SEED_FILES = (CNIPA_SEED_FILE, COMPILED_SEED_FILE)


async def load_seed() -> int:
    """Load the seed (seed/README.md) into an empty directory; returns the products created.
    Products of a database from before the search index get their terms here too."""
    if await GIProduct.count() > 0:
        await search.index_unindexed_products()
        return 0
    created = 0
    for seed_file in SEED_FILES:
        result = await import_file(seed_file, default_source=CNIPA_SOURCE)
        if result.problems:
            raise RuntimeError(f"the GI seed {seed_file.name} is refused: {result.problems[:3]}")
        created += result.created
    return created


def _region_name(code: str) -> str | None:
    found = regions.region(code) if code else None
    return found.name if found else None


def place_of(province_code: str, prefecture_code: str) -> str:
    """ "陕西省 西安市"; a municipality's name once ("北京市", not "北京市 北京市")."""
    names: list[str] = []
    for name in (_region_name(province_code), _region_name(prefecture_code)):
        if name and name not in names:
            names.append(name)
    return " ".join(names)


def _filters(province: str, prefecture: str, category: str) -> list:
    where = []
    if province:
        where.append(GIProduct.province_code == province)
    if prefecture:
        where.append(GIProduct.prefecture_code == prefecture)
    if category:
        where.append(GIProduct.category == category)
    return where


def clean_query(q: str) -> str:
    """The query as searched: spaces folded, % and _ taken out, at most `MAX_QUERY` characters."""
    return " ".join(q.replace("%", " ").replace("_", " ").split())[:MAX_QUERY]


async def _counts(column, where: list) -> dict[str, int]:
    query = GIProduct.select(column, Count(alias="count")).group_by(column)
    for condition in where:
        query = query.where(condition)
    return {row[column._meta.name]: row["count"] for row in await query}


async def province_counts() -> list[PlaceCount]:
    counts = await _counts(GIProduct.province_code, [])
    return [
        PlaceCount(p.code, p.name, counts[p.code]) for p in regions.provinces() if p.code in counts
    ]


async def prefecture_counts(province: str) -> list[PlaceCount]:
    counts = await _counts(GIProduct.prefecture_code, [GIProduct.province_code == province])
    return [
        PlaceCount(p.code, p.name, counts[p.code])
        for p in regions.children(province)
        if p.code in counts
    ]


async def category_counts(province: str = "", prefecture: str = "") -> dict[str, int]:
    return await _counts(GIProduct.category, _filters(province, prefecture, ""))


def _summary(row: dict) -> ProductSummary:
    return ProductSummary(
        id=row["id"],
        name=row["name"],
        pinyin=row["pinyin"],
        category=row["category"],
        place=place_of(row["province_code"], row["prefecture_code"]),
    )


async def search_products(
    query: str, page: int = 1, province: str = "", prefecture: str = "", category: str = ""
) -> search.SearchResults:
    """A page of the products the query finds (search.py's order) within the filters given;
    suggestions when it finds none."""
    query = search.simplified(clean_query(query))
    filters = {"province_code": province, "prefecture_code": prefecture, "category": category}
    named = await search.matching_rows(query, filters)
    start = (page - 1) * PAGE_SIZE
    shown = named[start : start + PAGE_SIZE]
    total = len(named)
    listed = search.category_of_word(query)
    if listed is not None and category in ("", listed):
        listed_total, listed_rows = await search.category_page(
            listed,
            filters,
            leaving_out=[row["id"] for row in named if row["category"] == listed],
            offset=max(0, start - len(named)),
            limit=PAGE_SIZE - len(shown),
        )
        shown, total = shown + listed_rows, total + listed_total
    found = search.SearchResults(
        products=[_summary(row) for row in shown],
        total=total,
        page=page,
        has_previous=page > 1,
        has_next=total > start + PAGE_SIZE,
    )
    if total or not query:
        return found
    return await _with_suggestions(found, query)


async def _with_suggestions(found: search.SearchResults, query: str) -> search.SearchResults:
    runs = search.pinyin.query_runs(query)
    pairs = [
        search.pinyin.CHARACTERS + run.text[i : i + 2]
        for run in runs
        if not run.letters
        for i in range(len(run.text) - 1)
    ]
    word = search.product_word(query, await search.term_counts(pairs))
    elsewhere = await search.elsewhere_rows(word) if word else []
    return msgspec.structs.replace(
        found,
        nearest=[_summary(row) for row in await search.nearest_rows(query)],
        product_word=word if elsewhere else "",
        elsewhere=[_summary(row) for row in elsewhere[: search.SUGGESTIONS]],
        elsewhere_total=len(elsewhere),
    )


async def find_products(
    q: str = "", province: str = "", prefecture: str = "", category: str = "", page: int = 1
) -> ProductList | search.SearchResults:
    """A page of products matching every filter given: by the search's order when there is a
    query, else by name (pinyin order)."""
    if clean_query(q):
        return await search_products(q, page, province, prefecture, category)
    where = _filters(province, prefecture, category)
    count_query = GIProduct.count()
    rows_query = (
        GIProduct.select(
            GIProduct.id,
            GIProduct.name,
            GIProduct.pinyin,
            GIProduct.category,
            GIProduct.province_code,
            GIProduct.prefecture_code,
        )
        .order_by(GIProduct.pinyin)
        .order_by(GIProduct.id)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    )
    for condition in where:
        count_query = count_query.where(condition)
        rows_query = rows_query.where(condition)
    rows = await rows_query
    products = [_summary(row) for row in rows[:PAGE_SIZE]]
    return ProductList(
        products=products,
        total=await count_query,
        page=page,
        has_previous=page > 1,
        has_next=len(rows) > PAGE_SIZE,
    )


async def product_page(product_id: int) -> ProductPage | None:
    row = await GIProduct.objects().where(GIProduct.id == product_id).first()
    if row is None:
        return None
    return ProductPage(
        id=row.id,
        name=row.name,
        pinyin=row.pinyin,
        category=row.category,
        category_derived=row.category_derived,
        province_code=row.province_code,
        prefecture_code=row.prefecture_code,
        province=_region_name(row.province_code),
        prefecture=_region_name(row.prefecture_code),
        county=_region_name(row.county_code),
        route=row.route,
        announcement=row.announcement,
        approved_on=row.approved_on,
        protected_area=json.loads(row.protected_area or "[]"),
        quality=row.quality,
        how_to_apply=row.how_to_apply,
        authorised_users=row.authorised_users,
        source=row.source,
    )
