"""The site-wide search: one query, one group of results from each domain that has some.

`core` knows no domain. Each domain offers a `SearchSource` (its `site_search.py`) and
`app.py` lists them, so GI products, outlets, matters and marks join the search as they are
built, without the shell importing them.

A source may also answer the query itself (`SearchAnswer`): a full application number is not a
phrase to look for but an address, its record's page, where the search goes at once (the first
such answer wins); or the query needs a word of its own above the groups: a mistyped number's
check character, a valid number not held, how many digits a number has.

Groups come best first: by the best match of each (`Relevance`), then in the order `app.py`
lists the sources.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from enum import IntEnum
from urllib.parse import urlencode

import msgspec

MAX_QUERY = 200
HITS_PER_GROUP = 5  # shown on /search; the group's own link lists them all


class Relevance(IntEnum):
    """How well a hit matches, best last: the query is the title, begins it, is in it, or
    is only in the rest (a summary, a guide's text, an applicant)."""

    elsewhere = 1
    in_title = 2
    title_start = 3
    whole_title = 4


def relevance_of(query: str, title: str) -> Relevance:
    folded_query, folded_title = query.casefold().strip(), title.casefold().strip()
    if folded_title == folded_query:
        return Relevance.whole_title
    if folded_title.startswith(folded_query):
        return Relevance.title_start
    if all(word in folded_title for word in folded_query.split()):
        return Relevance.in_title
    return Relevance.elsewhere


class SearchHit(msgspec.Struct, frozen=True):
    """One result, already in the person's language."""

    title: str
    href: str
    summary: str = ""
    detail: str = ""  # a number, an applicant, a date: shown small
    relevance: Relevance = Relevance.elsewhere


class SearchGroup(msgspec.Struct, frozen=True):
    """A domain's results for a query: how many there are and the best of them."""

    key: str
    heading: str
    count: int
    hits: list[SearchHit]
    all_results_href: str
    count_is_lower_bound: bool = False  # "50+": counting them all would cost too much

    @property
    def best(self) -> Relevance:
        return max((hit.relevance for hit in self.hits), default=Relevance.elsewhere)


class SearchAnswer(msgspec.Struct, frozen=True):
    """A query that is an address: go to `href`; or a `message` to read above the groups."""

    href: str = ""
    message: str = ""


class SearchSource(msgspec.Struct, frozen=True):
    """What a domain contributes: its group for a phrase, and optionally a claim on a query.

    `find(query, limit)` returns None when the domain has nothing for the query.
    """

    key: str
    find: Callable[[str, int], Awaitable[SearchGroup | None]]
    answer: Callable[[str], Awaitable[SearchAnswer | None]] | None = None


class SearchOutcome(msgspec.Struct, frozen=True):
    query: str
    groups: list[SearchGroup]
    go_to: str = ""  # the query is an address: this page
    notices: list[str] = []

    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)


def search_href(query: str, group: str = "") -> str:
    """The address of a query's results, all groups or one."""
    params = {"q": query, **({"group": group} if group else {})}
    return f"/search?{urlencode(params)}"


async def search(
    sources: Sequence[SearchSource], query: str, only: str = "", limit: int = HITS_PER_GROUP
) -> SearchOutcome:
    """Every source's group for `query`, best first; or one source's (`only`), to `limit`."""
    query = query.strip()[:MAX_QUERY]
    if not query:
        return SearchOutcome(query=query, groups=[])
    notices = []
    for source in sources:
        answer = await source.answer(query) if source.answer else None
        if answer and answer.href:
            return SearchOutcome(query=query, groups=[], go_to=answer.href)
        if answer and answer.message:
            notices.append(answer.message)
    chosen = [source for source in sources if not only or source.key == only]
    found = await asyncio.gather(*(source.find(query, limit) for source in chosen))
    order = {source.key: index for index, source in enumerate(sources)}
    groups = [group for group in found if group and group.count]
    groups.sort(key=lambda group: (-group.best, order[group.key]))
    return SearchOutcome(query=query, groups=groups, notices=notices)
