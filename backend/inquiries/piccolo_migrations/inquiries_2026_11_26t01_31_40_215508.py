"""Space terms in the search index, for the records a database already holds.

From here on the index (backend/inquiries/search.py) also holds, for every single whitespace
character of a record's title and applicants, the characters either side of it with a space
between ("i c" in "Shaanxi Chuang"), and a search requires a query's space terms: records indexed
before would no longer be found by queries with a space. This makes the space-term rows and their
counts again from the records (the rows and counts of three-character terms with a space in the
middle, which only space terms are), so it is also right on a database the new importer has
already written to, and when it runs twice. The tables and the term function are copied here as
they are at this migration, so later changes to backend/inquiries cannot change it.
"""

from collections import Counter

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Date, ForeignKey, Integer, Varchar
from piccolo.columns.combination import WhereRaw
from piccolo.table import Table

ID = "2026-11-26T01:31:40:215508"
VERSION = "1.38.0"
DESCRIPTION = "search index: space terms of the records already held"
RECORDS_PER_STATEMENT = 1000
ROWS_PER_STATEMENT = 1000


class Record(Table, tablename="record", schema=None):
    title = Varchar(length=300)
    applicants = Varchar(length=500)
    filing_date = Date()


class RecordSearchTerm(Table, tablename="record_search_term", schema=None):
    term = Varchar(length=32)
    filing_date = Date()
    record = ForeignKey(references=Record)


class SearchTerm(Table, tablename="search_term", schema=None):
    term = Varchar(length=32, unique=True)
    records = Integer(default=0)


def space_terms(*texts):
    terms = set()
    for text in texts:
        folded = text.casefold()
        for index in range(1, len(folded) - 1):
            before, char, after = folded[index - 1 : index + 2]
            if char.isspace() and not before.isspace() and not after.isspace():
                terms.add(f"{before} {after}")
    return terms


def is_space_term():
    # The same on SQLite and PostgreSQL; no other term has a space.
    return WhereRaw("length(term) = 3 AND substr(term, 2, 1) = ' '")


async def index_spaces_of_records_already_held():
    await RecordSearchTerm.delete().where(is_space_term())
    await SearchTerm.delete().where(is_space_term())
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
            terms = sorted(space_terms(row["title"], row["applicants"]))
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
        await RecordSearchTerm.delete().where(is_space_term())
        await SearchTerm.delete().where(is_space_term())

    manager.add_raw(index_spaces_of_records_already_held)
    manager.add_raw_backwards(run_backwards)

    return manager
