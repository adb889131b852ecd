"""Whole words in the search index, for the records a database already holds.

From here on the index (backend/inquiries/search.py) also holds every word of three characters or
more of a record's title and applicants, and a search requires a query's interior words: records
indexed before would no longer be found by such queries. This makes the word rows and their counts
again from the records (the rows and counts of terms of three characters or more, which only words
are), so it is also right on a database the new importer has already written to. The tables and
the word function are copied here as they are at this migration, so later changes to
backend/inquiries cannot change it.
"""

from collections import Counter

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Date, ForeignKey, Integer, Varchar
from piccolo.columns.combination import WhereRaw
from piccolo.table import Table

ID = "2026-11-26T00:45:56:865784"
VERSION = "1.38.0"
DESCRIPTION = "search index: whole words of the records already held"
RECORDS_PER_STATEMENT = 1000
ROWS_PER_STATEMENT = 1000
WORD_TERM_LENGTH = 32


class Record(Table, tablename="record", schema=None):
    title = Varchar(length=300)
    applicants = Varchar(length=500)
    filing_date = Date()


class RecordSearchTerm(Table, tablename="record_search_term", schema=None):
    term = Varchar(length=WORD_TERM_LENGTH)
    filing_date = Date()
    record = ForeignKey(references=Record)


class SearchTerm(Table, tablename="search_term", schema=None):
    term = Varchar(length=WORD_TERM_LENGTH, unique=True)
    records = Integer(default=0)


def word_terms(*texts):
    terms = set()
    for text in texts:
        separated = "".join(
            char if char < "\u2e80" and char.isalnum() else " "
            for char in text.casefold()
        )
        terms.update(
            word[:WORD_TERM_LENGTH] for word in separated.split() if len(word) >= 3
        )
    return terms


def is_word_term():
    return WhereRaw("length(term) >= 3")  # the same on SQLite and PostgreSQL


async def index_words_of_records_already_held():
    await RecordSearchTerm.delete().where(is_word_term())
    await SearchTerm.delete().where(is_word_term())
    counts = Counter()
    postings = []
    last_id = 0
    while True:
        rows = (
            await Record.select(
                Record.id, Record.title, Record.applicants, Record.filing_date
            )
            .where(Record.id > last_id)
            .order_by(Record.id)
            .limit(RECORDS_PER_STATEMENT)
        )
        if not rows:
            break
        for row in rows:
            terms = sorted(word_terms(row["title"], row["applicants"]))
            counts.update(terms)
            postings.extend(
                RecordSearchTerm(
                    term=term, filing_date=row["filing_date"], record=row["id"]
                )
                for term in terms
            )
        while len(postings) >= ROWS_PER_STATEMENT:
            await RecordSearchTerm.insert(*postings[:ROWS_PER_STATEMENT])
            del postings[:ROWS_PER_STATEMENT]
        last_id = rows[-1]["id"]
    if postings:
        await RecordSearchTerm.insert(*postings)
    items = sorted(counts.items())
    for start in range(0, len(items), ROWS_PER_STATEMENT):
        await SearchTerm.insert(
            *(
                SearchTerm(term=term, records=records)
                for term, records in items[start : start + ROWS_PER_STATEMENT]
            )
        )


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="inquiries", description=DESCRIPTION
    )

    async def run_backwards():
        await RecordSearchTerm.delete().where(is_word_term())
        await SearchTerm.delete().where(is_word_term())

    manager.add_raw(index_words_of_records_already_held)
    manager.add_raw_backwards(run_backwards)

    return manager
