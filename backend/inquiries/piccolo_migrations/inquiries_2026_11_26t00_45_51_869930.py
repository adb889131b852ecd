"""Search terms of up to 32 characters, so the index can hold whole words (search.py).

On PostgreSQL a longer VARCHAR needs no rewrite of the table or its indexes; SQLite does not
enforce the length (Piccolo skips the change there with a warning).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-26T00:45:51:869930"
VERSION = "1.38.0"
DESCRIPTION = "search terms up to 32 characters, for whole words"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="inquiries", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="RecordSearchTerm",
        tablename="record_search_term",
        column_name="term",
        db_column_name="term",
        params={"length": 32},
        old_params={"length": 4},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="SearchTerm",
        tablename="search_term",
        column_name="term",
        db_column_name="term",
        params={"length": 32},
        old_params={"length": 4},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
