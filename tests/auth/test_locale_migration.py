"""The migrations that give an account no language unless its person chose one, on a fresh
database of the profile (SQLite, or PostgreSQL in the `-m profiles` run): run by Piccolo's own
command, as `iph migrate` runs them, forwards from the first auth migration and back again.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from backend.settings import PROJECT_ROOT
from tests.conftest import RUN_ID, TEST_POSTGRES_URL, _database_url_named, _postgres

pytestmark = pytest.mark.profiles

FIRST_AUTH_MIGRATION = "2026-11-25T18:17:13:428230"
CHOSEN_LOCALE_ADDED = "2026-12-02T20:29:39:559484"
Query = Callable[[str], Awaitable[list[tuple]]]


@asynccontextmanager
async def fresh_database(tmp_path: Path) -> AsyncIterator[tuple[dict[str, str], Query]]:
    """The environment of a `piccolo` command on a new, empty database, and a way to query it."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("IPH_")}
    environ.update(PICCOLO_CONF="backend.piccolo_conf", IPH_VAR_DIR=str(tmp_path))
    if not TEST_POSTGRES_URL:

        async def sqlite_query(sql: str) -> list[tuple]:
            with sqlite3.connect(tmp_path / "iph.sqlite3") as connection:
                return connection.execute(sql).fetchall()

        yield environ, sqlite_query
        return
    import asyncpg

    name = f"iph_test_{RUN_ID}_locale_migration"
    url = _database_url_named(TEST_POSTGRES_URL, name)
    await _postgres(TEST_POSTGRES_URL, f'CREATE DATABASE "{name}"')
    environ["IPH_DATABASE_URL"] = url

    async def postgres_query(sql: str) -> list[tuple]:
        connection = await asyncpg.connect(url)
        try:
            return [tuple(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    try:
        yield environ, postgres_query
    finally:
        await _postgres(TEST_POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def piccolo(environ: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "piccolo.main", "migrations", *args],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "ok!" in result.stdout, result.stdout + result.stderr


async def test_the_migration_keeps_chosen_languages_and_turns_the_stored_default_into_no_choice(
    tmp_path: Path,
) -> None:
    async with fresh_database(tmp_path) as (environ, query):
        piccolo(environ, "forwards", "auth", f"--migration_id={FIRST_AUTH_MIGRATION}")
        await query(
            "INSERT INTO account (email, display_name, role, locale, user_handle) VALUES "
            "('hans@example.test', 'H', 'applicant', 'zh_Hans', 'h1'), "
            "('en@example.test', 'E', 'applicant', 'en', 'h2'), "
            "('hant@example.test', 'T', 'staff', 'zh_Hant', 'h3')"
        )
        await query(  # the column's default, as every account made before got it
            "INSERT INTO account (email, display_name, role, user_handle) "
            "VALUES ('default@example.test', 'D', 'applicant', 'h4')"
        )

        piccolo(environ, "forwards", "auth")
        rows = await query("SELECT email, chosen_locale FROM account ORDER BY email")
        assert rows == [
            ("default@example.test", None),
            ("en@example.test", "en"),
            ("hans@example.test", None),
            ("hant@example.test", "zh_Hant"),
        ]
        # The new account's insert needs no language: the column takes null.
        await query(
            "INSERT INTO account (email, display_name, role, user_handle) "
            "VALUES ('new@example.test', 'N', 'applicant', 'h5')"
        )
        new = await query("SELECT chosen_locale FROM account WHERE email = 'new@example.test'")
        assert new == [(None,)]

        piccolo(
            environ, "backwards", "auth", f"--migration_id={CHOSEN_LOCALE_ADDED}", "--auto_agree"
        )
        rows = await query("SELECT email, locale FROM account ORDER BY email")
        assert rows == [
            ("default@example.test", "zh_Hans"),
            ("en@example.test", "en"),
            ("hans@example.test", "zh_Hans"),
            ("hant@example.test", "zh_Hant"),
            ("new@example.test", "zh_Hans"),
        ]
