"""GI search: characters, full pinyin, initials, mixtures and category words, fast at the database.

The same design as the records search (backend/inquiries/search.py), scaled down, with plain B-tree
indexes on SQLite and PostgreSQL alike: `GISearchTerm` holds one row per product and term of its
name (`pinyin.index_terms`), indexed on (term, product); `GITermCount` counts the products holding
each term (the suggestions read it). A query becomes `pinyin.query_terms`' alternative term sets,
and one statement reads the candidate rows: for each alternative, the postings of its likely rarest
term (`_rarity`: by its kind and length) whose product also holds the others (one index probe
each), the alternatives united. Candidates are confirmed with `pinyin.matches` in Python, except
where the alternative's one term is the match itself (`_is_exact`: a query of one or two
characters, initials, or pinyin cut at a length the index holds), which spares the long lists a
one-letter query finds.

A query in traditional characters is searched in simplified ones (`simplified`, OpenCC t2s), as
the names are held. Only the product's name is indexed, not its region: place names inside
names (西湖龙井, 五常大米) are found as written, and browsing by province → prefecture
finds the rest; region names would double the terms a product holds.

A query that is a category word (`CATEGORY_WORDS`: English words and the category's name in the
three locales) lists that category too, after the products whose names match: counted and paged in
SQL on the (category, pinyin, id) index (`category_page`), so "rice" reads a page of rows, not the
category's thousand. Order: the name itself first, then names (or readings) it begins, then the
others by pinyin. No result gives suggestions (`suggest`): names sharing the most of the query's
characters (五长大米 → 五常大米), or for letters the longest prefix of them that finds something
(wuchangdamj → 五常大米), and the product word the query ends in (大米, 茶, 苹果) elsewhere.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

import msgspec
import opencc

from backend.core.database import read_by_key, write_transaction
from backend.geo_indications import pinyin
from backend.geo_indications.categories import ENDINGS, Category
from backend.geo_indications.tables import GIProduct, GISearchTerm, GITermCount

ROWS_PER_STATEMENT = 1000  # postings or counts written per statement (2 parameters each)
SUGGESTIONS = 5
_C = Category

# Words that name a category: a query that is one (folded) lists the category. English words
# first (singular and plural as people type them), then the category's names on the pages
# (zh_Hans, zh_Hant; the English one is among the words).
CATEGORY_WORDS: dict[Category, tuple[str, ...]] = {
    _C.tea: ("tea", "teas", "茶叶", "茶葉"),
    _C.fruit: ("fruit", "fruits", "nut", "nuts", "水果"),
    _C.grain_and_oil: ("grain", "grains", "rice", "oil", "wheat", "flour", "beans", "粮油", "糧油"),
    _C.vegetable: ("vegetable", "vegetables", "mushroom", "mushrooms", "蔬菜"),
    _C.meat_and_poultry: ("meat", "poultry", "eggs", "肉禽蛋"),
    _C.aquatic: ("fish", "seafood", "aquatic products", "水产品", "水產品"),
    _C.medicinal: ("herb", "herbs", "chinese medicinal materials", "medicine", "中药材", "中藥材"),
    _C.wine_and_spirits: (
        "wine",
        "spirits",
        "liquor",
        "baijiu",
        "wine and spirits",
        "酒类",
        "酒類",
    ),
    _C.processed_food: ("processed food", "food", "加工食品"),
    _C.handicraft: ("handicraft", "handicrafts", "craft", "crafts", "手工艺品", "手工藝品"),
}
_CATEGORY_OF_WORD = {word: category for category, words in CATEGORY_WORDS.items() for word in words}


class SearchResults(msgspec.Struct, frozen=True):
    """A page of matching products (service.ProductList's fields) and, when none matched,
    suggestions."""

    products: list[Any]  # ProductSummary
    total: int
    page: int
    has_previous: bool
    has_next: bool
    nearest: list[Any] = []  # ProductSummary: names close to the query
    product_word: str = ""  # the query's product word (大米), found elsewhere
    elsewhere: list[Any] = []  # ProductSummary: that product in other places
    elsewhere_total: int = 0


@cache
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(query: str) -> str:
    """The query in simplified characters, as the names are held: 龍井茶 finds 龙井茶."""
    return _to_simplified().convert(query)


def category_of_word(query: str) -> Category | None:
    folded = " ".join(unicodedata.normalize("NFKC", query).casefold().split())
    return _CATEGORY_OF_WORD.get(folded)


def _is_exact(alternative: frozenset[str], runs: list[pinyin.Run]) -> bool:
    """Whether holding the alternative's one term is the same as matching the query."""
    if len(runs) != 1 or len(alternative) != 1:
        return False
    run, (term,) = runs[0], alternative
    if not run.letters:
        return len(run.text) <= 2
    if term.startswith(pinyin.INITIALS):
        return len(run.text) <= pinyin.TERM_LENGTH - 2
    return len(run.text) in pinyin.PINYIN_TERM_LENGTHS


async def term_counts(terms: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(terms))
    if not wanted:
        return {}
    rows = await GITermCount.select(GITermCount.term, GITermCount.products).where(
        GITermCount.term.is_in(wanted)
    )
    return {row["term"]: row["products"] for row in rows if row["products"] > 0}


_PROBE = (
    " AND EXISTS (SELECT 1 FROM gi_search_term AS other WHERE other.term = {}"
    " AND other.product = gi_search_term.product)"
)
_COLUMNS = "id, name, pinyin, category, province_code, prefecture_code"


def _candidates_sql(by_rarity: list[list[str]]) -> tuple[str, list[str]]:
    """The postings of each alternative's rarest term whose product holds its other terms,
    united: one SELECT per alternative."""
    parts, args = [], []
    for terms in by_rarity:
        parts.append(
            "SELECT product FROM gi_search_term WHERE term = {}" + _PROBE * (len(terms) - 1)
        )
        args.extend(terms)
    return " UNION ".join(parts), args


# How rare a term is likely to be, per character of its text (a character among ~3,000 in the
# names, a pinyin letter, an initial among 23): the rarest term of an alternative drives its
# probe. Counting the terms first would cost a second round trip for little better order.
_RARITY_PER_CHARACTER = {pinyin.CHARACTERS: 8.0, pinyin.PINYIN: 2.5, pinyin.INITIALS: 3.5}


SELECTIVE_RARITY = 7.0  # two initials, three pinyin letters, a character


def _rarity(term: str) -> float:
    kind, text = term[:2], term[2:]
    return _RARITY_PER_CHARACTER[kind] * len(text)


async def find_candidates(query: str, filters: dict[str, str]) -> tuple[list[dict[str, Any]], bool]:
    """(rows of the products whose names' terms the query holds; whether those still need
    `pinyin.matches`). One statement (outside a transaction: SQLite's read connections and
    PostgreSQL's pool serve it): a round trip costs more than the search itself."""
    runs = pinyin.query_runs(query)
    alternatives = [alt for alt in pinyin.query_terms(query) if alt]
    if not alternatives:
        return [], False
    by_rarity = [sorted(alt, key=lambda term: (-_rarity(term), term)) for alt in alternatives]
    sql, args = _candidates_sql(by_rarity)
    conditions = [f"id IN ({sql})"]
    for column, value in filters.items():
        if value:
            conditions.append(f"{column} = {{}}")
            args.append(value)
    sql = f"SELECT {_COLUMNS} FROM gi_product WHERE " + " AND ".join(conditions)
    # A selective query (every alternative led by a term at least as rare as two initials)
    # finds tens of rows at most: read at once where the engine can (core/database.py); a
    # one-letter query, up to 1,700 rows, waits for a read connection instead.
    selective = all(_rarity(terms[0]) >= SELECTIVE_RARITY for terms in by_rarity)
    rows = await (read_by_key(GIProduct, sql, *args) if selective else GIProduct.raw(sql, *args))
    return rows, not all(_is_exact(alt, runs) for alt in alternatives)


async def category_page(
    category: Category, filters: dict[str, str], leaving_out: list[int], offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """(how many products of the category the filters hold, less `leaving_out`; a page of them
    by pinyin). Counted and paged in SQL on the (category, pinyin, id) index: a category word
    lists up to a thousand products, and only a page of them is read."""
    conditions, args = ["category = {}"], [str(category)]
    for column, value in filters.items():
        if value:
            conditions.append(f"{column} = {{}}")
            args.append(value)
    if leaving_out:
        conditions.append(f"id NOT IN ({', '.join(['{}'] * len(leaving_out))})")
        args.extend(leaving_out)
    where = " AND ".join(conditions)
    counted = await GIProduct.raw(f"SELECT COUNT(*) AS total FROM gi_product WHERE {where}", *args)
    if limit <= 0:
        return counted[0]["total"], []
    rows = await GIProduct.raw(
        f"SELECT {_COLUMNS} FROM gi_product WHERE {where}"
        " ORDER BY pinyin, id LIMIT {} OFFSET {}",
        *args,
        limit,
        offset,
    )
    return counted[0]["total"], rows


def rank(row: dict[str, Any], query: str, runs: list[pinyin.Run]) -> int:
    """0: the name itself; 1: the name (or its reading, or its initials) begins with the query;
    2: the others."""
    name = row["name"]
    if name == query:
        return 0
    if name.startswith(query):
        return 1
    if runs and all(run.letters for run in runs):
        letters = "".join(run.text for run in runs)
        syllables = row["pinyin"].split()
        spelled = "".join(syllables)
        if spelled == letters:
            return 0
        if spelled.startswith(letters) or "".join(s[:1] for s in syllables).startswith(letters):
            return 1
    return 2


async def matching_rows(query: str, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Every product whose name the query finds, in the search's order (a category the query
    names is listed after them, by `category_page`)."""
    rows, needs_check = await find_candidates(query, filters)
    runs = pinyin.query_runs(query)
    found = [
        (rank(row, query, runs), row)
        for row in rows
        if not needs_check or pinyin.matches(row["name"], query)
    ]
    found.sort(key=lambda item: (item[0], item[1]["pinyin"], item[1]["id"]))
    return [row for _, row in found]


# Suggestions for a query that finds nothing.


def product_word(query: str, counts: dict[str, int]) -> str:
    """The product the query's last characters name: the longest name ending (categories.py) it
    ends in, with the character before it when names hold that pair (五长大米 → 大米)."""
    literal = "".join(run.text for run in pinyin.query_runs(query) if not run.letters)
    for length in range(min(3, len(literal)), 0, -1):
        ending = literal[-length:]
        if ending in ENDINGS:
            pair = literal[-length - 1 :] if length == 1 and len(literal) > 1 else ""
            return pair if pair and f"{pinyin.CHARACTERS}{pair}" in counts else ending
    return ""


async def nearest_rows(query: str) -> list[dict[str, Any]]:
    """Products sharing the most characters of the query (at least half of them, two at least),
    the closest in length first; or, for letters alone, those found by the longest prefix of
    them the index holds."""
    runs = pinyin.query_runs(query)
    chars = sorted({char for run in runs if not run.letters for char in run.text})
    if chars:
        terms = [pinyin.CHARACTERS + char for char in chars]
        least = max(2, math.ceil(len(chars) / 2)) if len(chars) > 1 else 1
        shared = {
            row["product"]: row["shared"]
            for row in await GISearchTerm.raw(
                "SELECT product, COUNT(*) AS shared FROM gi_search_term WHERE term IN ("
                + ", ".join(["{}"] * len(terms))
                + ") GROUP BY product HAVING COUNT(*) >= {} ORDER BY shared DESC, product"
                " LIMIT {}",
                *terms,
                least,
                SUGGESTIONS * 4,
            )
        }
        length = sum(len(run.text) for run in runs)
        rows = await rows_of(list(shared))
        rows.sort(
            key=lambda row: (-shared[row["id"]], abs(len(row["name"]) - length), row["pinyin"])
        )
        return rows[:SUGGESTIONS]
    letters = "".join(run.text for run in runs)
    for length in sorted(pinyin.PINYIN_TERM_LENGTHS, reverse=True):
        if length < len(letters) and await term_counts([pinyin.PINYIN + letters[:length]]):
            rows = (
                await GISearchTerm.select(GISearchTerm.product)
                .where(GISearchTerm.term == pinyin.PINYIN + letters[:length])
                .limit(SUGGESTIONS)
            )
            return await rows_of([row["product"] for row in rows])
    return []


async def elsewhere_rows(word: str) -> list[dict[str, Any]]:
    """Products whose names end in `word`, found through its term's postings."""
    term = pinyin.CHARACTERS + (word[-2:] if len(word) > 1 else word)
    rows = await GIProduct.raw(
        f"SELECT {_COLUMNS} FROM gi_product WHERE id IN "
        "(SELECT product FROM gi_search_term WHERE term = {})",
        term,
    )
    return sorted(
        (row for row in rows if row["name"].endswith(word)), key=lambda row: row["pinyin"]
    )


async def rows_of(ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = await GIProduct.raw(
        f"SELECT {_COLUMNS} FROM gi_product WHERE id IN ({', '.join(['{}'] * len(ids))})", *ids
    )
    order = {product_id: index for index, product_id in enumerate(ids)}
    return sorted(rows, key=lambda row: order[row["id"]])


# Writing the index: the importer calls these inside its write transaction.


async def index_products(products: list[tuple[int, str]], old_names: dict[int, str]) -> None:
    """Write the terms of these (id, name) products, replacing those of their `old_names`."""
    counts: Counter[str] = Counter()
    postings: list[tuple[str, int]] = []
    for product_id, name in products:
        if product_id in old_names:
            await GISearchTerm.delete().where(GISearchTerm.product == product_id)
            counts.subtract(pinyin.index_terms(old_names[product_id]))
        terms = sorted(pinyin.index_terms(name))
        counts.update(terms)
        postings.extend((term, product_id) for term in terms)
    for start in range(0, len(postings), ROWS_PER_STATEMENT):
        chunk = postings[start : start + ROWS_PER_STATEMENT]
        await GISearchTerm.raw(
            "INSERT INTO gi_search_term (term, product) VALUES "
            + ", ".join(["({}, {})"] * len(chunk)),
            *(value for posting in chunk for value in posting),
        )
    changes = sorted((term, change) for term, change in counts.items() if change)
    for start in range(0, len(changes), ROWS_PER_STATEMENT):
        chunk = changes[start : start + ROWS_PER_STATEMENT]
        await GITermCount.raw(
            "INSERT INTO gi_term_count (term, products) VALUES "
            + ", ".join(["({}, {})"] * len(chunk))
            + " ON CONFLICT (term) DO UPDATE SET"
            " products = gi_term_count.products + excluded.products",
            *(value for pair in chunk for value in pair),
        )


async def index_unindexed_products(batch: int = 500) -> int:
    """Index the products that have no terms (those of a database from before the index);
    returns how many. One indexed anti-join when there are none."""
    done = 0
    while True:
        rows = await GIProduct.raw(
            "SELECT id, name FROM gi_product WHERE NOT EXISTS (SELECT 1 FROM gi_search_term"
            " WHERE gi_search_term.product = gi_product.id) ORDER BY id LIMIT {}",
            batch,
        )
        if not rows:
            return done
        async with write_transaction(GIProduct._meta.db):
            await index_products([(row["id"], row["name"]) for row in rows], {})
        done += len(rows)
