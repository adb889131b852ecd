"""The Piccolo engine for the configured profile: SQLite (embedded) or PostgreSQL (scale)."""

from __future__ import annotations

import asyncio
import logging

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from backend.settings import Settings

READY_TIMEOUT_SECONDS = 3.0
logger = logging.getLogger("backend.database")


def engine_for(settings: Settings) -> Engine:
    if settings.uses_postgres:
        # JIT off: compiling costs ~20 ms whenever a plan's estimated cost passes
        # jit_above_cost (a long search query's can, search.py), to save microseconds.
        return PostgresEngine(
            config={"dsn": settings.database_url, "server_settings": {"jit": "off"}},
            log_queries=False,
        )
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # The busy timeout (seconds) lets concurrent writers wait instead of failing with
    # "database is locked" (SECURITY.md gotcha 9).
    return SQLiteEngine(path=str(path), timeout=30)


async def open_engine(engine: Engine) -> None:
    """Start the connection pool (PostgreSQL) or switch the file to WAL mode (SQLite).

    A database that is down must not stop the process: /readyz reports it, and queries (which
    open their own connections while there is no pool) work again once it is back.
    """
    try:
        if isinstance(engine, PostgresEngine):
            await engine.start_connection_pool(min_size=1, max_size=10)
        elif isinstance(engine, SQLiteEngine):
            await engine.run_ddl("PRAGMA journal_mode=WAL")
    except Exception as error:  # any driver error: start anyway, not ready
        logger.error("database not reachable at start-up: %s: %s", type(error).__name__, error)


async def close_engine(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


async def database_problem(engine: Engine) -> str | None:
    """None when a trivial query answers, otherwise why not (for /readyz)."""
    try:
        await asyncio.wait_for(engine.run_ddl("SELECT 1"), READY_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"database did not answer within {READY_TIMEOUT_SECONDS:g} s"
    except Exception as error:  # any driver error means "not ready"; say which
        return f"database unreachable: {type(error).__name__}: {error}"
    return None


def bind_tables(engine: Engine) -> None:
    """Point every registered table at `engine`, so create_app(settings) honours its settings."""
    from piccolo.conf.apps import Finder

    for table in Finder().get_table_classes():
        table._meta.db = engine


def write_transaction(engine: Engine):
    """A transaction that will write: IMMEDIATE on SQLite, so concurrent writers queue on the
    busy timeout instead of failing with "database is locked" (SECURITY.md gotcha 9)."""
    if isinstance(engine, SQLiteEngine):
        from piccolo.engine.sqlite import TransactionType

        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()
