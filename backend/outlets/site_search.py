"""The outlets' group in the site-wide search: outlets whose name, host or region hold it."""

from __future__ import annotations

from backend.core import i18n
from backend.core.site_search import (
    SearchGroup,
    SearchHit,
    SearchSource,
    relevance_of,
    search_href,
)
from backend.outlets import service


async def find_outlets(query: str, limit: int) -> SearchGroup | None:
    found, count = await service.search(query, limit)
    if not count:
        return None
    hits = [
        SearchHit(
            title=outlet.name,
            href=f"/outlets/{outlet.id}",
            detail=" · ".join(part for part in (outlet.type_name, outlet.region) if part),
            relevance=relevance_of(query, outlet.name),
        )
        for outlet in found
    ]
    return SearchGroup(
        key="outlets",
        heading=i18n.gettext("Service outlets"),
        count=count,
        hits=hits,
        all_results_href=search_href(query, "outlets"),
    )


OUTLETS = SearchSource(key="outlets", find=find_outlets)
