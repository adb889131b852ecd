"""The shell's group in the site-wide search: the services on the home page."""

from __future__ import annotations

from backend.core import i18n
from backend.core.site_search import SearchGroup, SearchHit, SearchSource, relevance_of, search_href
from backend.shell import service


async def find_services(query: str, limit: int) -> SearchGroup | None:
    entries = service.search_services(query)
    if not entries:
        return None
    hits = [
        SearchHit(
            title=entry.title,
            href=entry.href,
            summary=entry.summary,
            relevance=relevance_of(query, entry.title),
        )
        for entry in entries
    ]
    hits.sort(key=lambda hit: -hit.relevance)
    return SearchGroup(
        key="services",
        heading=i18n.gettext("Services"),
        count=len(hits),
        hits=hits[:limit],
        all_results_href=search_href(query, "services"),
    )


SERVICES = SearchSource(key="services", find=find_services)
