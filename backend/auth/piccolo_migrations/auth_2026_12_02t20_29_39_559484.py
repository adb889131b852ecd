"""An account's language becomes a choice it may not have: `chosen_locale`, null for none.

`Account.locale` (NOT NULL, default 'zh_Hans') gave every new account the default as if the
person had chosen it, and an account's language outranks the browser's. SQLite cannot drop a NOT
NULL constraint or change a default in place, so the choice moves to a new nullable column (this
migration), the languages people really chose are copied into it and the old column is dropped
(the next one): only operations both SQLite and PostgreSQL have.

Backwards, the next migration puts `locale` back with 'zh_Hans' on every row; here the chosen
languages are copied back into it before `chosen_locale` goes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-02T20:29:39:559484"
VERSION = "1.38.0"
DESCRIPTION = "accounts: chosen_locale, null when the person chose no language"
CHOOSABLE = ("zh_Hans", "zh_Hant", "en")


class Account(Table, tablename="account", schema=None):
    locale = Varchar(length=10, default="zh_Hans")
    chosen_locale = Varchar(length=10, null=True, default=None)


async def copy_choices_back():
    for locale in CHOOSABLE:
        await Account.update({Account.locale: locale}).where(
            Account.chosen_locale == locale
        )


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="auth", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Account",
        tablename="account",
        column_name="chosen_locale",
        db_column_name="chosen_locale",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 10,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_raw_backwards(copy_choices_back)

    return manager
