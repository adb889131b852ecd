"""Substring search of titles and applicants, fast at a million records on SQLite and PostgreSQL.

One code path and plain B-tree indexes (no FTS5, no pg_trgm). The title and the applicants of
every record are cut into search terms — each character, each pair of adjacent characters, each
whole word of three characters or more and each character–space–character across a space,
case-folded (`search_terms`) — kept in `RecordSearchTerm`, one row per term and record, indexed
on (term, filing_date, record). `SearchTerm` counts the records that hold each term.

A word is a run of letters or digits of the scripts written with spaces between words (Latin,
Greek, Cyrillic…; `is_word_character`), cut at anything else: "Co., Ltd." holds "ltd". Chinese
text has no such separators, so its runs would be whole phrases: it has no word terms. A word
longer than `WORD_TERM_LENGTH` is indexed by its first `WORD_TERM_LENGTH` characters.

A space term is the characters on either side of a single whitespace character, with a plain
space between them (`space_term`): "Shaanxi Chuang" holds "i c", "Co., Ltd." holds ", l". It
links the two words around a space, which no pair or word does; it costs one row per space.

A query's terms are its pairs (or, for one character, that character), its space terms and its
interior words: those with a separator on both sides inside the query, so certainly whole words
in any record that holds the query ("huihua" and "materials" in "Shaanxi Huihua Materials Co";
not "shaanxi" or "co", which may be the end of a longer word). A record that holds the query
holds all of them. A pair inside an interior word is left out: the word implies it. Words and
space terms matter for Latin text, written with few letters whose pairs are all common but seldom
meet: a whole word is far rarer than any of its pairs, and "i c" in "xi Ch" is rarer than "xi"
and "ch" and, unlike them, held mostly by records that hold the query. A search reads
the terms' counts (if a term is held by no record, nothing matches and no postings are read),
then the rarest term's postings in index order, newest filing first, keeping those whose record
also holds every other term — one index probe per term, the rarest first, in the database — and
checks each kept record for the whole query in Python: the same case-insensitive test on both
engines, which LIKE is not (PostgreSQL's is case-sensitive, SQLite's folds ASCII only). It stops
at the limit: usually after two statements, or one when the query has a single term; a page of
postings that falls short is followed by a larger one, from the last posting read.

The cost is the postings read: about as many as needed to fill the limit when the records that
hold the rarest term often hold the others too. It grows when each term of a query is common but
the terms seldom meet: a Latin query within one partial word ("anxihu"), or whose rarest term
is a space term that many records share ("aanxi Shengyuan": "i s" is held by every "Shaanxi
Sheng…", one in nineteen of which holds the query). A query that matches nothing although each
of its terms is common reads all its rarest term's postings.

Term counts may run high (a deleted record's rows go by cascade, its counts stay) but never low:
a term with postings always has a count, which is all the search relies on.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

from piccolo.columns.combination import WhereRaw

from backend.inquiries.tables import Record, RecordSearchTerm, SearchTerm

INDEXED_FIELDS = ("title", "applicants", "filing_date")
COUNT_CHUNK = 400  # term counts written per statement (2 parameters each)
WORD_TERM_LENGTH = 32  # the term column's length


def is_word_character(char: str) -> bool:
    """Letters and digits below the CJK blocks (U+2E80 on): those of scripts with spaces."""
    return char < "\u2e80" and char.isalnum()


def search_terms(*texts: str) -> set[str]:
    """Every character, every pair of adjacent characters, every word of three characters or
    more (its first `WORD_TERM_LENGTH`) and every space term of each text, case-folded.

    Only a space term holds whitespace, and only as its middle character. The texts are cut
    separately: no term spans two of them.
    """
    terms: set[str] = set()
    for text in texts:
        folded = text.casefold()
        for index, char in enumerate(folded):
            if char.isspace():
                if 0 < index < len(folded) - 1 and (term := space_term(folded, index)):
                    terms.add(term)
                continue
            terms.add(char)
            pair = folded[index : index + 2]
            if len(pair) == 2 and not pair[1].isspace():
                terms.add(pair)
        terms.update(word_term(word) for word in _words(folded) if len(word) >= 3)
    return terms


def space_term(folded: str, index: int) -> str | None:
    """The characters either side of the whitespace at `index` with a plain space between, when
    neither is whitespace (a run of whitespace has none)."""
    before, after = folded[index - 1], folded[index + 1]
    if before.isspace() or after.isspace():
        return None
    return f"{before} {after}"


def is_space_term(term: str) -> bool:
    return len(term) == 3 and term[1] == " "


def word_term(word: str) -> str:
    return word[:WORD_TERM_LENGTH]


def _words(folded: str) -> list[str]:
    return _separated(folded).split()


def _separated(folded: str) -> str:
    """`folded` with every character that is not a word character as a space."""
    return "".join(char if is_word_character(char) else " " for char in folded)


def record_terms(title: str, applicants: str) -> set[str]:
    """The terms the index holds for a record."""
    return search_terms(title, applicants)


def query_terms(needle: str) -> set[str]:
    """The terms every record matching `needle` (already case-folded) holds: its interior words,
    its space terms and the pairs outside the words, or its characters and space terms when it
    has no pairs."""
    every_term = search_terms(needle)
    spaces = {term for term in every_term if is_space_term(term)}
    terms = {term for term in every_term if len(term) <= 2}
    pairs = {term for term in terms if len(term) == 2}
    if not pairs:
        return terms | spaces
    words = _interior_words(needle)
    implied = {word[i : i + 2] for word in words for i in range(len(word) - 1)}
    return (pairs - implied) | spaces | {word_term(word) for word in words}


def _interior_words(needle: str) -> list[str]:
    """The words of three characters or more with a separator on both sides inside `needle`."""
    pieces = _separated(needle).split(" ")  # the first and last touch the ends of the needle
    return [piece for piece in pieces[1:-1] if len(piece) >= 3]


async def find_records(query: str, limit: int) -> list[Record]:
    """Records whose title or applicants contain `query` (case-insensitive), newest filing first."""
    needle = query.casefold()
    terms = query_terms(needle)
    if len(terms) <= 1:  # a single term: its postings are the answer's candidates
        return await _read_postings(needle, sorted(terms), limit)
    # One connection for both statements (SQLite opens one per statement otherwise).
    async with Record._meta.db.transaction():
        by_rarity = await _by_rarity(terms)
        return await _read_postings(needle, by_rarity, limit) if by_rarity else []


async def _read_postings(needle: str, terms: list[str], limit: int) -> list[Record]:
    """The records of the first term's postings that hold the other terms and `needle`."""
    if not terms:
        return []
    postings = RecordSearchTerm.term == terms[0]
    if len(terms) > 1:
        postings &= _holding(terms[1:])
    found: list[dict[str, Any]] = []
    read, page = 0, limit + limit // 2  # spare: a record may hold every pair, not the query
    after = postings
    while True:
        page_of_postings = (
            RecordSearchTerm.select(RecordSearchTerm.record)
            .where(after)
            .order_by(RecordSearchTerm.filing_date, RecordSearchTerm.record, ascending=False)
            .limit(page)
        )
        candidates = await (
            Record.select()
            .where(Record.id.is_in(page_of_postings))
            .order_by(Record.filing_date, Record.id, ascending=False)
        )
        found.extend(
            row
            for row in candidates
            if needle in row["title"].casefold() or needle in row["applicants"].casefold()
        )
        if len(found) >= limit or len(candidates) < page:
            break
        read += page
        # The next page goes on from the last posting read (not by OFFSET, which would probe
        # the postings already read again); a record's postings have its filing date.
        after = postings & _older_than(candidates[-1]["filing_date"], candidates[-1]["id"])
        # Enough for the records still wanted at the share of candidates that matched so far,
        # half as many again, and at most four times the last page.
        share = max(len(found), 1) / read
        page = min(page * 4, math.ceil((limit - len(found)) / share * 1.5))
    return [Record(**row, _exists_in_db=True) for row in found[:limit]]


async def _by_rarity(terms: set[str]) -> list[str]:
    """The terms, rarest first; none when a term is held by no record (so nothing matches)."""
    rows = await SearchTerm.select(SearchTerm.term, SearchTerm.records).where(
        SearchTerm.term.is_in(sorted(terms))
    )
    if len(rows) < len(terms) or min(row["records"] for row in rows) <= 0:
        return []
    return [row["term"] for row in sorted(rows, key=lambda row: (row["records"], row["term"]))]


def _older_than(filing_date: Any, record_id: int) -> WhereRaw:
    """The posting comes after (`filing_date`, `record_id`) in the search's order: a row-value
    comparison, which both engines read as a range of the (term, filing_date, record) index."""
    return WhereRaw(
        "(record_search_term.filing_date, record_search_term.record) < ({}, {})",
        filing_date,
        record_id,
    )


def _holding(terms: list[str]) -> WhereRaw:
    """The posting's record also holds each of `terms`: one probe of the (term, filing_date,
    record) index each, the rarest first, in the order given (equal costs keep their order in
    both engines). OFFSET 0 keeps PostgreSQL from turning a probe into a join or a hash of all
    the term's postings. Standard SQL, the same on SQLite and PostgreSQL."""
    probe = (
        "EXISTS (SELECT 1 FROM record_search_term AS other WHERE other.term = {}"
        " AND other.filing_date = record_search_term.filing_date"
        " AND other.record = record_search_term.record LIMIT 1 OFFSET 0)"
    )
    return WhereRaw(" AND ".join([probe] * len(terms)), *terms)


# Writing the index: the importer calls these inside its write transaction.


def needs_reindex(old: Record, values: Mapping[str, Any]) -> bool:
    return any(getattr(old, name) != values[name] for name in INDEXED_FIELDS)


async def index_record(
    record_id: int, values: Mapping[str, Any], counts: Counter[str], old: Record | None = None
) -> None:
    """Write the terms of the record with these `values` (replacing those of `old`, the record
    as it was) and note in `counts` how the term counts change; `write_term_counts` applies them
    once per batch."""
    terms = sorted(record_terms(values["title"], values["applicants"]))
    if old is not None:
        await RecordSearchTerm.delete().where(RecordSearchTerm.record == record_id)
        counts.subtract(record_terms(old.title, old.applicants))
    counts.update(terms)
    if terms:
        # One multi-row INSERT; the same statement runs on both engines.
        await RecordSearchTerm.raw(
            "INSERT INTO record_search_term (term, filing_date, record) VALUES "
            + ", ".join(["({}, {}, {})"] * len(terms)),
            *(value for term in terms for value in (term, values["filing_date"], record_id)),
        )


async def write_term_counts(counts: Counter[str]) -> None:
    """Add the changes to SearchTerm, in term order (so concurrent batches lock rows in the same
    order and cannot deadlock). The same statement runs on SQLite (3.24+) and PostgreSQL."""
    changes = sorted((term, change) for term, change in counts.items() if change)
    for start in range(0, len(changes), COUNT_CHUNK):
        chunk = changes[start : start + COUNT_CHUNK]
        await SearchTerm.raw(
            "INSERT INTO search_term (term, records) VALUES "
            + ", ".join(["({}, {})"] * len(chunk))
            + " ON CONFLICT (term) DO UPDATE SET records = search_term.records + excluded.records",
            *(value for pair in chunk for value in pair),
        )
    counts.clear()
