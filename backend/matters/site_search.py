"""The matters' group in the site-wide search: matter types whose name or summary hold the query.

Every word is looked for in all three languages (someone reading English may type 续展), and the
hit is shown in the person's language. The catalogue is a dozen entries in memory: no index.
"""

from __future__ import annotations

from backend.core import i18n
from backend.core.site_search import (
    SearchGroup,
    SearchHit,
    SearchSource,
    relevance_of,
    search_href,
)
from backend.matters.catalogue import Matter, catalogue


def _haystack(matter: Matter) -> str:
    texts = (matter.name, matter.summary)
    return " ".join(f"{t.zh_Hans} {t.zh_Hant} {t.en}" for t in texts).casefold()


async def find_matters(query: str, limit: int) -> SearchGroup | None:
    words = query.casefold().split()
    locale = i18n.current_locale()
    found = [m for m in catalogue().matters if all(word in _haystack(m) for word in words)]
    if not words or not found:
        return None
    hits = [
        SearchHit(
            title=matter.name.of(locale),
            href=f"/matters/{matter.code}",
            summary=matter.summary.of(locale),
            relevance=relevance_of(query, matter.name.of(locale)),
        )
        for matter in found
    ]
    hits.sort(key=lambda hit: -hit.relevance)
    return SearchGroup(
        key="matters",
        heading=i18n.gettext("Matters"),
        count=len(hits),
        hits=hits[:limit],
        all_results_href=search_href(query, "matters"),
    )


MATTERS = SearchSource(key="matters", find=find_matters)
