"""The (category, pinyin, id) index of GI products.

A category word ("rice", "tea") lists the whole category after the names it finds, and browsing a
category lists it by pinyin: with this index both count and read one page of it in index order
instead of sorting the category's thousand rows. Two columns and more: `create_index` in a
migration of its own, as for the search terms' (term, product) index.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer, Varchar
from piccolo.table import Table

ID = "2026-12-02T23:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "GI products: the (category, pinyin, id) index"


class GIProduct(Table, tablename="gi_product", schema=None):
    category = Varchar(length=20)
    pinyin = Varchar(length=400)
    id = Integer(primary_key=True)


INDEX_COLUMNS = [GIProduct.category, GIProduct.pinyin, GIProduct.id]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="geo_indications", description=DESCRIPTION
    )

    async def run():
        await GIProduct.create_index(INDEX_COLUMNS)

    async def run_backwards():
        await GIProduct.drop_index(INDEX_COLUMNS)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)

    return manager
