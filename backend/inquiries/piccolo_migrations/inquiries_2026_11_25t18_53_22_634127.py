"""The search index's composite index, and the terms of the records a database already holds.

Piccolo declares single-column indexes only; `create_index` with several columns emits the same
multicolumn B-tree index on SQLite and PostgreSQL. The tables and the term function are copied
here as they are at this migration, so later changes to backend/inquiries cannot change it.
"""

from collections import Counter

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Date, ForeignKey, Integer, Varchar
from piccolo.table import Table

ID = "2026-11-25T18:53:22:634127"
VERSION = "1.38.0"
DESCRIPTION = "search index: the (term, filing_date, record) index; terms of the records already held"
RECORDS_PER_STATEMENT = 50


class Record(Table, tablename="record", schema=None):
    title = Varchar(length=300)
    applicants = Varchar(length=500)
    filing_date = Date()


class RecordSearchTerm(Table, tablename="record_search_term", schema=None):
    term = Varchar(length=4)
    filing_date = Date()
    record = ForeignKey(references=Record)


class SearchTerm(Table, tablename="search_term", schema=None):
    term = Varchar(length=4, unique=True)
    records = Integer(default=0)


INDEX_COLUMNS = [RecordSearchTerm.term, RecordSearchTerm.filing_date, RecordSearchTerm.record]


def search_terms(*texts):
    terms = set()
    for text in texts:
        folded = text.casefold()
        for index, char in enumerate(folded):
            if char.isspace():
                continue
            terms.add(char)
            pair = folded[index : index + 2]
            if len(pair) == 2 and not pair[1].isspace():
                terms.add(pair)
    return terms


async def index_records_already_held():
    counts = Counter()
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
        postings = []
        for row in rows:
            terms = sorted(search_terms(row["title"], row["applicants"]))
            counts.update(terms)
            postings.extend(
                RecordSearchTerm(
                    term=term, filing_date=row["filing_date"], record=row["id"]
                )
                for term in terms
            )
        if postings:
            await RecordSearchTerm.insert(*postings)
        last_id = rows[-1]["id"]
    items = sorted(counts.items())
    for start in range(0, len(items), 1000):
        await SearchTerm.insert(
            *(
                SearchTerm(term=term, records=records)
                for term, records in items[start : start + 1000]
            )
        )


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="inquiries", description=DESCRIPTION
    )

    async def run():
        await RecordSearchTerm.create_index(INDEX_COLUMNS)
        await index_records_already_held()

    async def run_backwards():
        await RecordSearchTerm.drop_index(INDEX_COLUMNS)
        await RecordSearchTerm.delete(force=True)
        await SearchTerm.delete(force=True)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)

    return manager
