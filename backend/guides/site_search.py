"""The guides' group in the site-wide search: guides holding the query, in the person's locale."""

from __future__ import annotations

from urllib.parse import urlencode

from backend.core import i18n
from backend.core.site_search import SearchGroup, SearchHit, SearchSource, relevance_of
from backend.guides.search import search_guides


async def find_guides(query: str, limit: int) -> SearchGroup | None:
    pages = await search_guides(query, i18n.current_locale())
    if not pages:
        return None
    hits = [
        SearchHit(
            title=page.version.title,
            href=f"/guides/{page.slug}",
            summary=page.version.summary,
            relevance=relevance_of(query, page.version.title),
        )
        for page in pages
    ]
    return SearchGroup(
        key="guides",
        heading=i18n.gettext("Policy guides"),
        count=len(hits),
        hits=hits[:limit],
        all_results_href=f"/guides?{urlencode({'q': query})}",
    )


GUIDES = SearchSource(key="guides", find=find_guides)
