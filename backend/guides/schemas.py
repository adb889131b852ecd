"""JSON bodies of the guides' offline endpoints (read by frontend/static/js/guides.js)."""

from __future__ import annotations

import datetime as dt

import msgspec


class SearchEntry(msgspec.Struct, frozen=True):
    """One guide in the offline search index."""

    slug: str
    url: str
    version: int
    updated: dt.date
    title: str
    summary: str
    headings: list[str]
    # Every distinct token of title, summary, headings and body, space-separated
    # (backend/guides/search.py says how text is cut into tokens).
    terms: str


class SearchIndex(msgspec.Struct, frozen=True):
    """GET /guides/search-index.json: the locale's guides, searched on the phone when offline."""

    locale: str
    lang: str  # the BCP 47 tag of the pages (their Content-Language)
    guides: list[SearchEntry]


class PackGuide(msgspec.Struct, frozen=True):
    slug: str
    url: str
    title: str
    bytes: int  # estimated download size, compressed (see offline.py)
    version: int
    updated: dt.date


class PackIndex(msgspec.Struct, frozen=True):
    url: str
    bytes: int


class OfflinePack(msgspec.Struct, frozen=True):
    """GET /guides/offline-pack.json: what "Save all guides for offline" downloads, and its size."""

    locale: str
    lang: str
    compression: str  # what the byte counts measure: "gzip" (an upper bound for brotli)
    total_bytes: int
    guides: list[PackGuide]
    index: PackIndex
