"""What the GI pages render: Structs, not dicts (Jinja reads their attributes fast)."""

from __future__ import annotations

import datetime as dt

import msgspec


class PlaceCount(msgspec.Struct, frozen=True):
    """A province, prefecture or category and how many products it has."""

    code: str
    name: str
    count: int


class ProductSummary(msgspec.Struct, frozen=True):
    id: int
    name: str
    pinyin: str
    category: str
    place: str  # "陕西省 西安市", or "" where no source gives one


class ProductList(msgspec.Struct, frozen=True):
    products: list[ProductSummary]
    total: int
    page: int
    has_previous: bool
    has_next: bool


class ProductPage(msgspec.Struct, frozen=True):
    """One record; None (or an empty list) is a fact no source gives: "not yet available"."""

    id: int
    name: str
    pinyin: str
    category: str
    category_derived: bool
    province_code: str
    prefecture_code: str
    province: str | None
    prefecture: str | None
    county: str | None
    route: str
    announcement: str | None
    approved_on: dt.date | None
    protected_area: list[str]
    quality: str | None
    how_to_apply: str | None
    authorised_users: int
    source: str


class PackPage(msgspec.Struct, frozen=True):
    url: str
    bytes: int  # estimated download size, compressed (offline.py)


class PackProduct(msgspec.Struct, frozen=True):
    """A product as the phone searches it offline (gi.js): by characters, pinyin, initials."""

    id: int
    name: str
    url: str
    readings: list[str]  # pinyin.readings(name): syllables spaced, the likeliest first
    initials: list[str]  # the first letter of each syllable of each reading, distinct


class ProvincePack(msgspec.Struct, frozen=True):
    """GET /gi/packs/{province}.json: what "Save this province for offline" downloads."""

    province_code: str
    province: str
    locale: str
    lang: str
    compression: str  # what the byte counts measure: "gzip" (an upper bound for brotli)
    total_bytes: int
    pages: list[PackPage]  # the list pages first, then the records
    products: list[PackProduct]


class AuthorisedUserEntry(msgspec.Struct, frozen=True):
    """One producer of the register, with the GI it may use the special mark of."""

    product_id: int
    product_name: str
    producer: str
    approved_on: dt.date | None
    announcement: str | None
    is_demo: bool


class CodeCheck(msgspec.Struct, frozen=True):
    """The answer of /gi/check: `error` (the code is mistyped), else the register's entries for
    the code (none: not an authorised user of any GI we hold)."""

    typed: str
    code: str = ""
    error: str = ""
    entries: list[AuthorisedUserEntry] = []


class ProductUsers(msgspec.Struct, frozen=True):
    """The first entries of a product's authorised users, and how many there are."""

    entries: list[AuthorisedUserEntry]
    total: int
    demo: int
