from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.geo_indications.categories import Category


class GIProduct(
    Table,
    help_text="A geographical-indication product. A field no source gives stays null (or empty) "
    "and its page says so: nothing is made up.",
):
    Category = Category

    class Route(StrEnum):
        gi_product = "gi_product"  # 地理标志产品 (the former agricultural GIs too)
        collective_mark = "collective_mark"  # 地理标志集体商标
        certification_mark = "certification_mark"  # 地理标志证明商标

    natural_key = Varchar(
        length=140,
        unique=True,
        help_text="name|province code: what an import upserts by (importer.natural_key).",
    )
    name = Varchar(length=100, index=True, help_text="The product's name in Chinese.")
    pinyin = Varchar(length=400, help_text="Toneless pinyin of the name, syllables spaced.")
    category = Varchar(length=20, choices=Category, index=True)
    category_derived = Boolean(
        default=True, help_text="The category comes from the name's ending (categories.py)."
    )
    province_code = Varchar(length=6, default="", index=True, help_text="backend/core/regions.")
    prefecture_code = Varchar(length=6, default="", index=True)
    county_code = Varchar(length=6, default="")
    route = Varchar(length=20, choices=Route, default=Route.gi_product)
    announcement = Text(null=True, default=None, help_text="The approval announcement, as given.")
    approved_on = Date(null=True, default=None)
    protected_area = Text(
        default="[]", help_text="JSON list of the places the announcement names as protected."
    )
    quality = Text(
        null=True,
        default=None,
        help_text="Quality characteristics; only from an import of a source that has them.",
    )
    how_to_apply = Text(null=True, default=None, help_text="How to apply to use the special mark.")
    authorised_users = Integer(default=0, help_text="How many producers may use the special mark.")
    source = Text(help_text="Where the record came from.")
    updated_at = Timestamptz(default=TimestamptzNow())


class GISearchTerm(
    Table,
    help_text="The GI search index (search.py): one row per product and each term of its name "
    "(pinyin.index_terms); indexed on (term, product).",
):
    term = Varchar(length=32, help_text="c: characters, i: initials, p: pinyin (pinyin.py).")
    product = ForeignKey(references=GIProduct, on_delete=OnDelete.cascade, index=True)


class GITermCount(
    Table, help_text="How many GI products hold a search term: a search reads its rarest term."
):
    term = Varchar(length=32, unique=True)
    products = Integer(default=0, help_text="Products holding it; may run high, never low.")


class AuthorisedUser(
    Table,
    help_text="A producer approved to use a GI's special mark, as the public register lists it: "
    "the name and credit code the announcement gives, nothing more.",
):
    natural_key = Varchar(
        length=40,
        unique=True,
        help_text="product id|credit code: what an import upserts by (authorised_users.py).",
    )
    product = ForeignKey(references=GIProduct, index=True)
    producer = Varchar(length=200, help_text="The producer's name, as the register gives it.")
    credit_code = Varchar(
        length=18, index=True, help_text="Unified social credit code, canonical (credit_code.py)."
    )
    approved_on = Date(null=True, default=None, help_text="Since when it may use the mark.")
    announcement = Text(null=True, default=None, help_text="The approval announcement, as given.")
    is_demo = Boolean(
        default=False, help_text="A made-up demo entry; every page that shows it says so."
    )
    source = Text(help_text="Where the entry came from.")
    updated_at = Timestamptz(default=TimestamptzNow())
