"""The GI search index's (term, product) index.

Piccolo declares single-column indexes only; `create_index` with two columns emits the same
B-tree index on SQLite and PostgreSQL (a migration's raw steps run before its tables are made,
hence a migration of its own). The terms of products a database already holds are written by
`search.index_unindexed_products`, which `iph setup` runs (service.load_seed), not here: the
terms come from backend/geo_indications/pinyin.py, which may change.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer, Varchar
from piccolo.table import Table

ID = "2026-12-02T22:01:53:000000"
VERSION = "1.38.0"
DESCRIPTION = "GI search index: the (term, product) index"


class GISearchTerm(Table, tablename="gi_search_term", schema=None):
    term = Varchar(length=32)
    product = Integer()


INDEX_COLUMNS = [GISearchTerm.term, GISearchTerm.product]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="geo_indications", description=DESCRIPTION
    )

    async def run():
        await GISearchTerm.create_index(INDEX_COLUMNS)

    async def run_backwards():
        await GISearchTerm.drop_index(INDEX_COLUMNS)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)

    return manager
