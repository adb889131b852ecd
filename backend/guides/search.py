"""Finding guides: a substring search on the server, and the index a phone searches offline.

Both read the locale's latest versions (or their zh_Hans fallback), as the guide pages do.

Text becomes tokens the way frontend/static/js/guides.js cuts a query, so the two must stay in
step: NFKC (full-width letters and digits become ASCII), lower case, then each run of Han
characters gives its character bigrams (a run of one character gives that character) and each
run of ASCII letters and digits is one word. A single-character query matches any bigram that
holds the character (guides.js looks for it in the terms string).
"""

from __future__ import annotations

import html
import re
import unicodedata

from backend.core.i18n import HTML_LANG
from backend.guides.schemas import SearchEntry, SearchIndex
from backend.guides.service import GuidePage, all_guides

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN_RUN = re.compile(rf"[{HAN}]+|[a-z0-9]+")
TAG = re.compile(r"<[^>]+>")
MAX_QUERY = 200


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str) -> list[str]:
    found: list[str] = []
    for run in TOKEN_RUN.findall(normalise(text)):
        if run.isascii() or len(run) == 1:
            found.append(run)
        else:
            found.extend(run[i : i + 2] for i in range(len(run) - 1))
    return found


def plain_text(body_html: str) -> str:
    """The words of sanitised guide HTML (nh3 left no comments or scripts to trip a regex)."""
    return html.unescape(TAG.sub(" ", body_html))


def _searchable(page: GuidePage) -> str:
    version = page.version
    return normalise(f"{version.title}\n{version.summary}\n{plain_text(version.body_html)}")


def matching(pages: list[GuidePage], query: str) -> list[GuidePage]:
    """The pages whose title, summary or body holds every space-separated part of the query.

    Case- and width-insensitive; those with every part in the title come first, the rest keep
    the order given (all_guides: most recently updated first).
    """
    parts = normalise(query[:MAX_QUERY]).split()
    if not parts:
        return []
    found = [page for page in pages if all(part in _searchable(page) for part in parts)]
    in_title = {
        page.slug for page in found if all(part in normalise(page.version.title) for part in parts)
    }
    return sorted(found, key=lambda page: page.slug not in in_title)


async def search_guides(query: str, locale: str) -> list[GuidePage]:
    return matching(await all_guides(locale), query)


def search_entry(page: GuidePage) -> SearchEntry:
    version = page.version
    headings = [text for _, _, text in page.toc]
    text = "\n".join([version.title, version.summary, *headings, plain_text(version.body_html)])
    return SearchEntry(
        slug=page.slug,
        url=f"/guides/{page.slug}",
        version=version.version,
        updated=version.updated_on,
        title=version.title,
        summary=version.summary,
        headings=headings,
        terms=" ".join(dict.fromkeys(tokens(text))),  # distinct, in order of appearance
    )


def search_index_of(pages: list[GuidePage], locale: str) -> SearchIndex:
    return SearchIndex(
        locale=locale, lang=HTML_LANG[locale], guides=[search_entry(page) for page in pages]
    )


async def search_index(locale: str) -> SearchIndex:
    return search_index_of(await all_guides(locale), locale)
