"""The offline pack: every guide of a locale and the search index, with what they cost to download.

Sizes are estimates of the compressed bytes (gzip; the app answers brotli where the browser
takes it, which is a little smaller): the guide's own text compressed, plus the page around it
(header, navigation, footer), which compresses to about the same size on every guide page. A test
(tests/guides/test_offline.py) keeps the estimate within a quarter of the real page.
"""

from __future__ import annotations

import gzip

import msgspec

from backend.core.i18n import HTML_LANG
from backend.guides.schemas import OfflinePack, PackGuide, PackIndex
from backend.guides.search import search_index_of
from backend.guides.service import GuidePage, all_guides

SEARCH_INDEX_URL = "/guides/search-index.json"
# The compressed page minus the compressed guide text: 1.7–1.9 KB on content/guides (2026-11).
PAGE_AROUND_GUIDE_BYTES = 1_800


def compressed_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def page_bytes(page: GuidePage) -> int:
    version = page.version
    text = f"{version.title}{version.summary}{version.toc}{version.body_html}{version.sources}"
    return compressed_size(text.encode()) + PAGE_AROUND_GUIDE_BYTES


async def offline_pack(locale: str) -> OfflinePack:
    pages = await all_guides(locale)
    index_bytes = compressed_size(msgspec.json.encode(search_index_of(pages, locale)))
    guides = [
        PackGuide(
            slug=page.slug,
            url=f"/guides/{page.slug}",
            title=page.version.title,
            bytes=page_bytes(page),
            version=page.version.version,
            updated=page.version.updated_on,
        )
        for page in pages
    ]
    return OfflinePack(
        locale=locale,
        lang=HTML_LANG[locale],
        compression="gzip",
        total_bytes=sum(guide.bytes for guide in guides) + index_bytes,
        guides=guides,
        index=PackIndex(url=SEARCH_INDEX_URL, bytes=index_bytes),
    )
