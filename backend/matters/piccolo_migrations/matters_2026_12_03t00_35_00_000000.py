"""The staff queue's indexes: matters by due date, and an outlet's matters by due date.

The queue lists open matters the earliest due first, for one outlet (staff) or all (a
supervisor); with 100,000 matters, reading them in due-date order from an index and stopping at
a page is what keeps it within budget (bench/matters.py). Two columns: `create_index` in a
migration of its own, as the GI search's (term, product) index.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Date, Integer
from piccolo.table import Table

ID = "2026-12-03T00:35:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Matters: the queue's (due_on) and (outlet, due_on) indexes"


class Matter(Table, tablename="matter", schema=None):
    outlet = Integer()
    due_on = Date()


INDEXES = ([Matter.due_on], [Matter.outlet, Matter.due_on])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="matters", description=DESCRIPTION)

    async def run():
        for columns in INDEXES:
            await Matter.create_index(columns)

    async def run_backwards():
        for columns in INDEXES:
            await Matter.drop_index(columns)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)

    return manager
