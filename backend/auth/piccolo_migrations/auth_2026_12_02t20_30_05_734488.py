"""The languages people chose move to `chosen_locale`; the silent default becomes no choice.

Until now every account held a language: 'zh_Hans' unless its person had used the switch while
signed in, and nothing recorded which 'zh_Hans' was chosen. So 'zh_Hant' and 'en' (only the switch
could have stored them) are kept as choices, and every 'zh_Hans' becomes no choice: those people's
browsers decide their language again, until they switch. Then `locale` is dropped.

The table is copied here as it is at this migration, so later changes to backend/auth cannot
change it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.table import Table

ID = "2026-12-02T20:30:05:734488"
VERSION = "1.38.0"
DESCRIPTION = "accounts: keep only chosen languages; drop locale"
# The languages only a person's switch could have stored; the default 'zh_Hans' is not among them.
CHOSEN_FOR_SURE = ("zh_Hant", "en")


class Account(Table, tablename="account", schema=None):
    locale = Varchar(length=10, default="zh_Hans")
    chosen_locale = Varchar(length=10, null=True, default=None)


async def keep_chosen_locales():
    for locale in CHOSEN_FOR_SURE:
        await Account.update({Account.chosen_locale: locale}).where(
            Account.locale == locale
        )


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="auth", description=DESCRIPTION
    )

    manager.add_raw(keep_chosen_locales)

    manager.drop_column(
        table_class_name="Account",
        tablename="account",
        column_name="locale",
        db_column_name="locale",
        schema=None,
    )

    return manager
