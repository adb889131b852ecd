"""E-certificates outlive their holder's account; a revocation keeps its date and reason.

- `certificate.holder` ON DELETE SET NULL, was CASCADE: deleting an account leaves its
  certificates, public records the office issued, verifiable at /verify with no holder. The
  column was nullable already (a Piccolo ForeignKey is by default).
- `revoked_at` (null until revoked) and `revoked_reason` (the office's words, '' until then).

PostgreSQL changes the constraint in place (Piccolo's alter_column drops it and adds it again).
SQLite cannot change a foreign key's action at all: there the table is made again with the
same rows, as SQLite's manual says to (https://www.sqlite.org/lang_altertable.html#otheralter):
its definition and indexes as they are in the file with the one clause changed, on a
connection of its own with foreign keys off, in one transaction, checked with PRAGMA
foreign_key_check before it commits. Foreign keys must be off, else dropping the old table
would delete every share link through their ON DELETE CASCADE; and PRAGMA foreign_keys is
ignored inside a transaction, so it cannot be done in Piccolo's. The manager still lists the
change (for Piccolo's schema snapshot, which later auto migrations are diffed against), but
on SQLite does not run it itself. Run on a table already changed, the step changes nothing.
"""

import aiosqlite
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder

ID = "2026-12-03T17:03:16:452343"
VERSION = "1.38.0"
DESCRIPTION = "Certificates: kept when the holder's account goes; revoked_at, revoked_reason"

HOLDER = '"holder" INTEGER REFERENCES "account" ("id") ON DELETE {} ON UPDATE CASCADE'
REMADE = "certificate_remade"


async def _remake_certificate_table(on_delete_before: str, on_delete_after: str) -> None:
    """SQLite: the certificate table made again with the holder's ON DELETE changed."""
    before, after = HOLDER.format(on_delete_before), HOLDER.format(on_delete_after)
    settings = {**engine_finder().connection_kwargs, "isolation_level": None}
    async with aiosqlite.connect(**settings) as connection:
        await connection.execute("PRAGMA foreign_keys = OFF")
        await connection.execute("BEGIN IMMEDIATE")
        try:
            schema = await connection.execute_fetchall(
                "SELECT type, sql FROM sqlite_master "
                "WHERE tbl_name = 'certificate' AND sql IS NOT NULL"
            )
            table = next(sql for kind, sql in schema if kind == "table")
            if after in table:
                await connection.execute("ROLLBACK")
                return
            if table.count(before) != 1:
                raise RuntimeError(f"certificate.holder is not {before!r}: {table}")
            remade = table.replace(before, after).replace(
                'CREATE TABLE "certificate"', f'CREATE TABLE "{REMADE}"', 1
            )
            await connection.execute(remade)
            await connection.execute(f'INSERT INTO "{REMADE}" SELECT * FROM "certificate"')
            await connection.execute('DROP TABLE "certificate"')
            await connection.execute(f'ALTER TABLE "{REMADE}" RENAME TO "certificate"')
            for kind, sql in schema:
                if kind == "index":
                    await connection.execute(sql)
            problems = await connection.execute_fetchall("PRAGMA foreign_key_check")
            if problems:
                raise RuntimeError(f"foreign keys broken by the new table: {problems}")
            await connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                await connection.execute("ROLLBACK")
            raise


async def holder_set_null_on_sqlite() -> None:
    await _remake_certificate_table("CASCADE", "SET NULL")


async def holder_cascade_on_sqlite() -> None:
    await _remake_certificate_table("SET NULL", "CASCADE")


class SQLiteMigrationManager(MigrationManager):
    """Runs everything but the column changes, which the raw steps above make on SQLite."""

    async def _run_alter_columns(self, backwards: bool = False) -> None:
        return None


async def forwards():
    on_sqlite = engine_finder().engine_type == "sqlite"
    manager = (SQLiteMigrationManager if on_sqlite else MigrationManager)(
        migration_id=ID, app_name="certificates", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Certificate",
        tablename="certificate",
        column_name="revoked_at",
        db_column_name="revoked_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
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

    manager.add_column(
        table_class_name="Certificate",
        tablename="certificate",
        column_name="revoked_reason",
        db_column_name="revoked_reason",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 500,
            "default": "",
            "null": False,
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

    # ON UPDATE named too: Piccolo adds the new constraint with only the actions it is given.
    manager.alter_column(
        table_class_name="Certificate",
        tablename="certificate",
        column_name="holder",
        db_column_name="holder",
        params={"on_delete": OnDelete.set_null, "on_update": OnUpdate.cascade},
        old_params={"on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    if on_sqlite:
        manager.add_raw(holder_set_null_on_sqlite)
        manager.add_raw_backwards(holder_cascade_on_sqlite)

    return manager
