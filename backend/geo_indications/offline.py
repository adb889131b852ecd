"""Offline region packs: a province's GI list and record pages, what they cost to download, and
the index the phone searches them by when offline (frontend/static/js/gi.js).

Sizes are estimates of the gzip-compressed pages, as guides/offline.py makes them: the page's own
text compressed, plus the page around it (header, navigation, footer, for a list page its
browse links), about the same on every page of a kind. A test (tests/geo_indications/
test_offline.py) keeps the estimate within a quarter of the real pages.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from itertools import groupby
from math import ceil
from operator import itemgetter

from backend.core import i18n, regions
from backend.core.i18n import HTML_LANG
from backend.geo_indications import pinyin
from backend.geo_indications.schemas import PackPage, PackProduct, ProvincePack
from backend.geo_indications.service import PAGE_SIZE
from backend.geo_indications.tables import GIProduct

# The compressed page minus its own compressed text, measured on the seed (2026-12).
PAGE_AROUND_RECORD_BYTES = 2_000
PAGE_AROUND_LIST_BYTES = 2_300
SEARCH_SPACE = "/saved"  # kept with every pack: the saved packs and their offline search


def compressed_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def _record_bytes(row: dict) -> int:
    text = "".join(
        str(row[key] or "")
        for key in ("name", "pinyin", "announcement", "protected_area", "quality", "how_to_apply")
    )
    return compressed_size((text + row["source"]).encode()) + PAGE_AROUND_RECORD_BYTES


def _list_pages(rows: list[dict], href: Callable[..., str]) -> list[PackPage]:
    """The pages of 20 of these rows (in the list's order) at the addresses gi_href gives."""
    pages = []
    for number in range(1, max(ceil(len(rows) / PAGE_SIZE), 1) + 1):
        shown = rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        text = "".join(f"{row['id']}{row['name']}{row['pinyin']}" for row in shown)
        pages.append(
            PackPage(href(page=number), compressed_size(text.encode()) + PAGE_AROUND_LIST_BYTES)
        )
    return pages


def _indexed(row: dict) -> PackProduct:
    found = pinyin.readings(row["name"])
    initials = list(dict.fromkeys("".join(s[0] for s in r.split()) for r in found))
    return PackProduct(row["id"], row["name"], f"/gi/{row['id']}", found, initials)


async def province_pack(province_code: str) -> ProvincePack | None:
    """The pack of a province with GI products; None for any other code."""
    from backend.geo_indications.routes import _known_region, href_maker  # routes import this

    province = regions.region(province_code)
    if province is None or province.level != regions.PROVINCE:
        return None
    rows = await (
        GIProduct.select()
        .where(GIProduct.province_code == province_code)
        .order_by(GIProduct.pinyin)
        .order_by(GIProduct.id)
    )
    if not rows:
        return None
    for row in rows:
        row["protected_area"] = "".join(json.loads(row["protected_area"] or "[]"))
    base = {"q": "", "province": province_code, "prefecture": "", "category": ""}
    pages = _list_pages(rows, href_maker(base))
    for key, column in (("prefecture", "prefecture_code"), ("category", "category")):
        for value, group in groupby(sorted(rows, key=itemgetter(column)), itemgetter(column)):
            # Only the prefectures /gi links to (and filters by); sorted() keeps the list's order.
            if value and (
                key == "category" or _known_region(value, regions.PREFECTURE, province_code)
            ):
                pages += _list_pages(list(group), href_maker({**base, key: value}))
    pages += [PackPage(f"/gi/{row['id']}", _record_bytes(row)) for row in rows]
    locale = i18n.current_locale()
    return ProvincePack(
        province_code=province_code,
        province=province.name,
        locale=locale,
        lang=HTML_LANG[locale],
        compression="gzip",
        total_bytes=sum(page.bytes for page in pages),
        pages=pages,
        products=[_indexed(row) for row in rows],
    )
