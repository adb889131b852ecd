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
