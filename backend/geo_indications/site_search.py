"""The GI products' group in the site-wide search: names (or pinyin) holding the query."""

from __future__ import annotations

from urllib.parse import urlencode

from backend.core import i18n
from backend.core.site_search import SearchGroup, SearchHit, SearchSource, relevance_of
from backend.geo_indications import service


async def find_gi_products(query: str, limit: int) -> SearchGroup | None:
    found = await service.find_products(q=query)
    if not found.total:
        return None
    hits = [
        SearchHit(
            title=product.name,
            href=f"/gi/{product.id}",
            summary=product.place,
            relevance=relevance_of(query, product.name),
        )
        for product in found.products[:limit]
    ]
    return SearchGroup(
        key="gi",
        heading=i18n.gettext("Geographical indications"),
        count=found.total,
        hits=hits,
        all_results_href=f"/gi?{urlencode({'q': query})}",
    )


GI_PRODUCTS = SearchSource(key="gi", find=find_gi_products)
