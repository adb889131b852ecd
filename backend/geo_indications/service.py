"""The GI directory: browse counts, the paged list, one record, and the seed.

Search is a plain substring match on the name and its pinyin for now; pinyin initials and
polyphonic place names come with backend/geo_indications/pinyin.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from piccolo.query.methods.select import Count

from backend.core import regions
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
SEED_FILE = Path(__file__).parent / "seed" / "gi-products.jsonl"


async def load_seed() -> int:
    """Load the seed (seed/README.md) into an empty directory; returns the products created."""
    if await GIProduct.count() > 0:
        return 0
    result = await import_file(SEED_FILE, default_source=CNIPA_SOURCE)
    if result.problems:
        raise RuntimeError(f"the GI seed is refused: {result.problems[:3]}")
    return result.created


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


def _filters(q: str, province: str, prefecture: str, category: str) -> list:
    where = []
    if q:
        pattern = f"%{q}%"
        where.append(GIProduct.name.like(pattern) | GIProduct.pinyin.like(pattern.lower()))
    if province:
        where.append(GIProduct.province_code == province)
    if prefecture:
        where.append(GIProduct.prefecture_code == prefecture)
    if category:
        where.append(GIProduct.category == category)
    return where


def clean_query(q: str) -> str:
    """The query as matched: spaces folded; % and _ taken out (they are LIKE's wildcards)."""
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
    return await _counts(GIProduct.category, _filters("", province, prefecture, ""))


async def find_products(
    q: str = "", province: str = "", prefecture: str = "", category: str = "", page: int = 1
) -> ProductList:
    """A page of products matching every filter given, by name (pinyin order)."""
    where = _filters(clean_query(q), province, prefecture, category)
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
    products = [
        ProductSummary(
            id=row["id"],
            name=row["name"],
            pinyin=row["pinyin"],
            category=row["category"],
            place=place_of(row["province_code"], row["prefecture_code"]),
        )
        for row in rows[:PAGE_SIZE]
    ]
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
