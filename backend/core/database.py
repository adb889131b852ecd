"""The Piccolo engine for the configured profile: SQLite (embedded) or PostgreSQL (scale), and
what the app does once a transaction that changed something has committed (`changed`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterable
from string import Formatter
from typing import Any

import aiosqlite
import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.exceptions import TransactionError
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString
from piccolo.table import Table

from backend.core.errors import is_outage
from backend.settings import Settings

READY_TIMEOUT_SECONDS = 3.0
# PostgreSQL that does not answer must not hold a request (docs/decisions/scale-faults.md):
# connecting gives up after CONNECT_TIMEOUT_SECONDS (a server that is down refuses at once; one
# behind a dead link or frozen never answers), a request waits at most POOL_WAIT_SECONDS for a
# pooled connection, and in the web processes a statement at most REQUEST_STATEMENT_SECONDS
# (their statements take milliseconds, bench/RECORDS.md). Commands and the job worker run
# statements without a limit: an import or a migration may take minutes.
CONNECT_TIMEOUT_SECONDS = 1.0
POOL_WAIT_SECONDS = 5.0
REQUEST_STATEMENT_SECONDS = 5.0
# Giving a connection back waits for the cancel of a statement that timed out; a frozen server
# never confirms it, and the connection is dropped after this instead (asyncpg waits for ever).
RELEASE_SECONDS = 1.0
POOL_SIZE = 10  # PostgreSQL connections per process
# Read connections per process (EmbeddedEngine). Two serve no more requests than one (the
# Python around each read is the cost), but a slow read then holds up no other: with one, a
# 200 ms read held every short read behind it for 190 ms; with two, 4 ms
# (docs/decisions/shell-and-performance.md).
READ_CONNECTIONS = 2
# A write transaction's statements run on the event loop up to these (WriterTransaction.run).
STATEMENTS_ON_THE_LOOP = 16
VALUES_ON_THE_LOOP = 64
logger = logging.getLogger("backend.database")
# What the app does once a change is committed (`when_committed`), given what it was made to:
# the subjects said with it (`changed`; "" when none was).
Action = Callable[[frozenset[str]], Awaitable[None]]

_READ_ONLY_STATEMENT = re.compile(r"\s*SELECT\b", re.IGNORECASE)


def _compile(querystring: QueryString, engine_type: str) -> None:
    """Compile a statement that holds values only (a raw statement, most inserts and updates)
    from a template compiled once: Piccolo parses the template and rebuilds the statement for
    every run, ~15 µs a statement plus ~1 µs a value, a tenth of a rating's time (bench/). A
    statement with nested ones (a select's columns, its where) is left to Piccolo."""
    if querystring._frozen_compiled_strings is not None:
        return
    args = querystring.args
    if any(isinstance(arg, QueryString) for arg in args):
        return
    sql, used = _compiled_template(querystring.template, len(args), engine_type)
    querystring._frozen_compiled_strings = (sql, list(args[:used]))


@functools.lru_cache(maxsize=4096)
def _compiled_template(template: str, values: int, engine_type: str) -> tuple[str, int]:
    """(the statement as QueryString.compile_string makes it for `values` values, how many of
    them it takes): a placeholder for each of the template's first `values` fields."""
    literals = [literal for literal, *_ in Formatter().parse(template)]
    used = min(len(literals), values)
    if engine_type == "sqlite":
        marks = ["?"] * used
    else:
        marks = [f"${index}" for index in range(1, used + 1)]
    placed = [literal + mark for literal, mark in zip(literals[:used], marks, strict=True)]
    return "".join(placed + literals[used:]), used


def _is_open(connection: aiosqlite.Connection) -> bool:
    try:
        connection.in_transaction  # noqa: B018 - raises once the connection is closed
    except (ValueError, sqlite3.ProgrammingError):
        return False
    return True


class _ReadConnection:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection
        self.in_flight = 0


class CommitGroupFailed(sqlite3.OperationalError):
    """The commit this transaction's writes were waiting for failed, or another transaction of
    its group lost the group's writes (SQLite rolled it back whole): nothing was stored."""


class _CommitGroup:
    """Write transactions that share one SQLite transaction and its COMMIT (group commit)."""

    def __init__(self) -> None:
        self.failure: BaseException | None = None


class _Writer:
    """The one connection this process writes through, the lock that queues its writers, and
    the commit group now open on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lock = asyncio.Lock()
        self.connection: aiosqlite.Connection | None = None
        self.group: _CommitGroup | None = None
        self.commits = 0  # groups committed, for tests and benchmarks

    async def close_group(self, group: _CommitGroup) -> None:
        """COMMIT `group` if it is still the one open, with the lock held. A COMMIT that fails
        (a full or failing disk) undoes the group: each of its transactions then fails."""
        if self.group is not group:
            return
        self.group = None
        connection = self.connection
        assert connection is not None  # a group is opened on it
        try:
            if connection.in_transaction:
                await connection.execute("COMMIT")
                self.commits += 1
        except BaseException as error:
            group.failure = error
            with contextlib.suppress(Exception):
                if _is_open(connection) and connection.in_transaction:
                    await connection.rollback()
            if not isinstance(error, Exception):
                raise


class WriterTransaction(SQLiteTransaction):
    """An IMMEDIATE transaction on the process's writing connection, taken in turn, whose
    COMMIT it shares with the transactions that queued behind it (group commit).

    Piccolo's transaction opens a connection of its own (a thread and a file open, ~1.1 ms), and
    concurrent writers then wait for SQLite's write lock through the busy timeout, which sleeps
    and retries in no order: 32 sends at a time waited 420 ms on average for it and some
    seconds (bench/README.md "Matters over HTTP"). Here they queue on an asyncio.Lock, first come
    first served, and share one open connection. Another process's writers still meet this one
    at SQLite's lock, through the busy timeout.

    Each COMMIT waits for the disk's sync (synchronous=FULL: nothing a person was told is
    stored may be lost in a power cut) and costs a hop to the connection's thread; the sync
    alone was ~0.38 ms of CPU a send (what synchronous=NORMAL saved, bench/README.md "Session
    15"). So a transaction runs inside the SQLite
    transaction the writers before it opened, as a SAVEPOINT of its own, and on success queues
    for the lock again; whichever transaction of the group takes the lock first then finds the
    group open and COMMITs it, the writers that arrived meanwhile having run theirs in it. Each
    waits for that COMMIT before it returns, so nobody is answered before their write is on the
    disk. A transaction that fails is rolled back to its savepoint, its group's other writes
    untouched; if SQLite rolled back the whole transaction (a full or failing disk), or the
    COMMIT fails, every transaction of the group fails with CommitGroupFailed."""

    engine: EmbeddedEngine

    def __init__(self, engine: EmbeddedEngine, writer: _Writer) -> None:
        super().__init__(engine, TransactionType.immediate)
        self._writer = writer
        self._group: _CommitGroup | None = None
        self.changes: set[tuple[str, str]] = set()
        self._statements = 0

    async def begin(self) -> None:
        """Join the group open on the connection, or BEGIN IMMEDIATE a new one; then this
        transaction's SAVEPOINT. Both on the event loop (a short statement: one hop to the
        thread less a write, bench/README.md "Signed-in POSTs"), unless another process is
        writing: the writing connection has no busy timeout, so BEGIN fails at once and is
        sent again in the connection's thread, waiting through the engine's busy timeout."""
        writer = self._writer
        try:
            if writer.group is None or not self.connection.in_transaction:
                writer.group = None
                await self._begin_immediate()
                writer.group = _CommitGroup()
            self.connection._conn.execute("SAVEPOINT writer")
        except BaseException:
            # Piccolo's __aenter__ does not call __aexit__ when begin fails: hand the lock on.
            writer.lock.release()
            raise
        self._group = writer.group

    async def _begin_immediate(self) -> None:
        try:
            self.connection._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            waiting = round(self.engine.connection_kwargs.get("timeout", 5.0) * 1000)
            await self.connection.execute(f"PRAGMA busy_timeout = {waiting}")
            try:
                await self.connection.execute("BEGIN IMMEDIATE")
            finally:
                await self.connection.execute("PRAGMA busy_timeout = 0")

    async def run(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        """A statement of this transaction: on the event loop, as a read by key is, when it is
        one of the transaction's first few and short; otherwise in the connection's thread.

        Holding the write lock (BEGIN IMMEDIATE, in the thread: it may wait for another
        process's writer), a statement waits for nothing; SQLite runs a short one in tens of
        µs, where the hop to the thread and back, with the event loop and the thread taking the
        GIL in turn, cost ~0.1 ms: a rating's seven hops were a third of its time (bench/README.md
        "Signed-in POSTs"). The COMMIT, which waits for the disk, stays in the thread, so the
        loop serves other requests meanwhile. A transaction of many statements, or one with many
        values (an import), is the kind whose statements take long: the thread runs those, and
        the event loop does not stop for them.
        """
        self._statements += 1
        if self._statements <= STATEMENTS_ON_THE_LOOP and len(args) <= VALUES_ON_THE_LOOP:
            return self.connection._conn.execute(query, args).fetchall()
        return await self.connection.execute_fetchall(query, args)

    async def get_connection(self) -> aiosqlite.Connection:
        await self._writer.lock.acquire()
        try:
            return await self.engine._writer_connection(self._writer)
        except BaseException:
            self._writer.lock.release()
            raise

    async def commit(self) -> None:
        raise TransactionError("a write transaction commits when its block ends")

    async def rollback(self) -> None:
        raise TransactionError("a write transaction rolls back when its block raises")

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        group = self._group
        try:
            if group is not None:
                self._end_savepoint(group, undo=exception is not None)
        finally:
            self.engine.current_transaction.reset(self.context)
            self._writer.lock.release()
            if group is not None:
                # Shielded: a cancelled request still closes its group for the others.
                await asyncio.shield(self._writer_closes(group))
        if exception is not None:
            return False
        if group is not None and group.failure is not None:
            raise CommitGroupFailed(f"not stored: {group.failure}") from group.failure
        self._committed = True
        await _announce(self)
        return True

    def _end_savepoint(self, group: _CommitGroup, undo: bool) -> None:
        """RELEASE this transaction's savepoint, first rolled back to when it raised. When the
        connection is no longer in a transaction, SQLite has rolled back the group's writes."""
        connection = self.connection._conn
        if connection.in_transaction:
            if undo:
                connection.execute("ROLLBACK TO writer")
            connection.execute("RELEASE writer")
        if not connection.in_transaction and self._writer.group is group:
            self._writer.group = None
            group.failure = sqlite3.OperationalError("the transaction was rolled back")

    async def _writer_closes(self, group: _CommitGroup) -> None:
        """Queue for the lock again: the first of the group to have it COMMITs the group, and
        the others have it once that COMMIT has returned (it holds the lock)."""
        async with self._writer.lock:
            await self._writer.close_group(group)


class FileTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction, whose changes are announced once it commits (`changed`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changes: set[tuple[str, str]] = set()

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        kept = await super().__aexit__(exception_type, exception, traceback)
        if not self._parent:
            await _announce(self)
        return kept


class EmbeddedEngine(SQLiteEngine):
    """Piccolo's SQLiteEngine with connections kept open: a few for reads, one for writes.

    Piccolo opens a new connection (a thread and a file open, ~1.1 ms) for every statement run
    outside a transaction. Between `start_reads()` and `close_reads()` (open_engine and
    close_engine), a SELECT outside a transaction runs instead on one of READ_CONNECTIONS
    connections that stay open. They see every committed write: autocommit, and
    execute_fetchall reads each result to the end, so no read transaction (no old WAL snapshot)
    outlives its statement. They are `query_only`, so a write sent here by mistake fails rather
    than slip past the IMMEDIATE write transaction. Writes, DDL (and so /readyz's probe),
    deferred transactions and batches keep Piccolo's own connections.

    Writes (write_transaction, and a write statement outside a transaction) go through one
    connection kept open, one writer at a time (WriterTransaction), on the event loop that
    first wrote after `start_reads()`; on any other loop (a test's second loop) they open their
    own connection, as Piccolo does.

    An aiosqlite connection works from any event loop (each call makes its future on the
    running loop), so the tests' many loops can share them; only a forked child, which has not
    got the worker threads, starts afresh.
    """

    def __init__(self, path: str, read_connections: int = READ_CONNECTIONS, **kwargs: Any):
        super().__init__(path=path, **kwargs)
        self.read_connections = read_connections
        self.read_connections_opened = 0  # for tests and benchmarks
        self._readers: list[_ReadConnection] | None = None
        self._readers_opening = 0
        self._readers_pid = 0
        self._writer: _Writer | None = None
        self._forget_key_readers()
        self.committed_actions: dict[str, list[Action]] = {}

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested=True
    ) -> FileTransaction:
        return FileTransaction(self, transaction_type, allow_nested)

    def start_reads(self) -> None:
        """Run reads on persistent connections from now on; they open when first needed."""
        if not self._reads_kept_here():
            self._readers, self._readers_opening, self._readers_pid = [], 0, os.getpid()
            self._writer = None
            self._forget_key_readers()  # a forked child's are its parent's

    def _reads_kept_here(self) -> bool:
        """Between start_reads and close_reads, in the process that called start_reads."""
        return self._readers is not None and self._readers_pid == os.getpid()

    async def close_reads(self) -> None:
        """Close the read connections (after the reads queued on them); reads open their own
        connection again, as before `start_reads()`."""
        kept_here = self._reads_kept_here()
        readers, self._readers = self._readers, None
        writer, self._writer = self._writer, None
        if not kept_here:
            return
        for reader in readers:
            await reader.connection.close()
        if writer is not None and writer.connection is not None:
            async with writer.lock:  # after the transaction in progress
                if writer.group is not None:
                    await writer.close_group(writer.group)
                await writer.connection.close()
        for connection in self._key_reader_connections:
            connection.close()
        self._forget_key_readers()

    def _forget_key_readers(self) -> None:
        self._key_readers = threading.local()  # each thread's connection for reads by key
        self._key_reader_connections: list[sqlite3.Connection] = []

    def read_by_key_now(self, query: str, args: list[Any]) -> list[dict[str, Any]] | None:
        """Run a read by a unique key on the calling thread; None when it cannot run here (no
        kept connections, or the file is busy), and the caller awaits a read connection.

        Such a read costs SQLite ~30 µs, rows made dicts; handing it to a read connection's
        thread and back costs more than that, and under load the threads and the event loop
        then queue for the GIL (bench/: the uncached record page serves ~2,650 requests a second
        this way, ~2,160 through the thread). In WAL mode a read never waits for a writer; the
        connection has no busy timeout, so in the rare case where the file is busy (a checkpoint
        truncating the log, recovery) it fails at once and the read goes to the thread, rather
        than stop the event loop.
        """
        if not self._reads_kept_here():
            return None
        connection = getattr(self._key_readers, "connection", None)
        if connection is None:
            connection = self._key_readers.connection = self._open_key_reader()
        try:
            return connection.execute(query, args).fetchall()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return None
            raise

    def _open_key_reader(self) -> sqlite3.Connection:
        settings = {**self.connection_kwargs, "timeout": 0, "check_same_thread": False}
        connection = sqlite3.connect(**settings)
        connection.row_factory = dict_factory
        connection.executescript("PRAGMA foreign_keys = 1; PRAGMA query_only = 1")
        self._key_reader_connections.append(connection)
        return connection

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False):
        _compile(querystring, self.engine_type)
        if self._readers is None or self.current_transaction.get() is not None:
            return await super().run_querystring(querystring, in_pool=in_pool)
        query, args = querystring.compile_string(engine_type=self.engine_type)
        if _READ_ONLY_STATEMENT.match(query):
            return await self._read(query, args)
        if (writer := self._writer_here()) is not None:
            # A write on its own (a job's purge of old rows, say) may be long: in the thread.
            async with WriterTransaction(self, writer) as transaction:
                return await transaction.connection.execute_fetchall(query, args)
        return await super()._run_in_new_connection(
            query, args, query_type=querystring.query_type, table=querystring.table
        )

    def write_transaction(self) -> SQLiteTransaction:
        """IMMEDIATE, on the writing connection when this loop has it (WriterTransaction)."""
        if self.current_transaction.get() is None and (writer := self._writer_here()):
            return WriterTransaction(self, writer)
        return self.transaction(transaction_type=TransactionType.immediate)

    def _writer_here(self) -> _Writer | None:
        """The writing connection's turn-taking, if this loop writes through it."""
        if not self._reads_kept_here():
            return None
        loop = asyncio.get_running_loop()
        if self._writer is None:
            self._writer = _Writer(loop)
        return self._writer if self._writer.loop is loop else None

    async def _writer_connection(self, writer: _Writer) -> aiosqlite.Connection:
        if writer.connection is None or not _is_open(writer.connection):
            # Used from the event loop too, one transaction at a time (WriterTransaction.run).
            connection = aiosqlite.connect(**self.connection_kwargs, check_same_thread=False)
            if hasattr(connection, "_thread"):
                connection._thread.daemon = True  # as a read connection's
            await connection
            connection.row_factory = dict_factory
            await connection.executescript("PRAGMA foreign_keys = 1; PRAGMA busy_timeout = 0")
            writer.connection = connection
        return writer.connection

    async def _run_in_existing_connection(
        self, connection, query, args=None, query_type="generic", table=None
    ):
        if isinstance(transaction := self.current_transaction.get(), WriterTransaction):
            # PRAGMA foreign_keys was set when the connection opened; Piccolo sets it again
            # before every statement, a round trip to the connection's thread each.
            return await transaction.run(query, args or [])
        return await super()._run_in_existing_connection(
            connection, query, args, query_type=query_type, table=table
        )

    async def _read(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        reader = await self._reader()
        if reader is None:  # closed, or the first readers are still opening
            return await super()._run_in_new_connection(query, args)
        reader.in_flight += 1
        try:
            return await reader.connection.execute_fetchall(query, args)
        except (ValueError, sqlite3.ProgrammingError):
            if _is_open(reader.connection):
                raise  # the statement's own error
            # Closed under this read (close_reads) or dead: answer from a connection of the
            # read's own, as Piccolo would, and open a fresh reader next time.
            self._forget(reader)
            return await super()._run_in_new_connection(query, args)
        finally:
            reader.in_flight -= 1

    async def _reader(self) -> _ReadConnection | None:
        """The least busy read connection; another is opened while all are busy and there are
        fewer than `read_connections`. None while there are none yet but enough are opening."""
        readers = self._readers
        if readers is None:
            return None
        if self._readers_pid != os.getpid():  # a forked child: the parent's threads are gone
            self.start_reads()
            readers = self._readers
        reader = min(readers, key=lambda r: r.in_flight, default=None)
        may_open = len(readers) + self._readers_opening < self.read_connections
        if reader is not None and (reader.in_flight == 0 or not may_open):
            return reader
        if not may_open:
            return None
        self._readers_opening += 1
        try:
            reader = _ReadConnection(await self._open_read_connection())
        finally:
            self._readers_opening -= 1
        if self._readers is not readers:  # closed (or restarted) while this one was opening
            await reader.connection.close()
            return None
        readers.append(reader)
        return reader

    async def _open_read_connection(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # A daemon thread cannot keep the process alive if close_reads() is never reached;
        # ending a read-only connection abruptly loses nothing.
        if hasattr(connection, "_thread"):
            connection._thread.daemon = True
        await connection
        try:
            connection.row_factory = dict_factory
            await connection.executescript("PRAGMA foreign_keys = 1; PRAGMA query_only = 1")
        except BaseException:
            await connection.close()
            raise
        self.read_connections_opened += 1
        return connection

    def _forget(self, reader: _ReadConnection) -> None:
        if self._readers is not None and reader in self._readers:
            self._readers.remove(reader)


async def read_by_key(table: type[Table], sql: str, *args: Any) -> list[dict[str, Any]]:
    """The rows of `sql`, a read by a unique key (a record by its number) whose cost is
    bounded by an index: on SQLite run at once (`EmbeddedEngine.read_by_key_now`), on
    PostgreSQL compiled once and sent straight to a connection (`ScaleEngine.fetch`), anywhere
    else as `table.raw(sql, *args)`. `sql` takes its arguments as `{}`, like `raw`."""
    engine = table._meta.db
    if isinstance(engine, EmbeddedEngine) and engine.current_transaction.get() is None:
        query, used = _compiled_template(sql, len(args), engine.engine_type)
        values = list(args[:used])
        rows = engine.read_by_key_now(query, values)
        if rows is not None:
            return rows
    if isinstance(engine, ScaleEngine) and engine.pool:
        # Piccolo's Query and QueryString around the reads were ~19% of a send's py-spy samples
        # in the worker (bench/README.md "Matters over HTTP", session 17).
        return await engine.fetch(sql, args)
    return await table.raw(sql, *args)


async def execute(table: type[Table], sql: str, *args: Any) -> list[dict[str, Any]]:
    """`table.raw(sql, *args)`: the rows of `sql`, which takes its arguments as `{}`. In a
    write transaction under way (the few statements a rating or a matter's send makes in
    theirs), straight to the transaction's connection with the statement compiled once: on
    SQLite a short statement then costs ~8 µs of CPU instead of ~15 µs, the Piccolo query, its
    query string and the engine's layers being the other half (bench/README.md "Signed-in
    POSTs")."""
    transaction = table._meta.db.current_transaction.get()
    if isinstance(transaction, WriterTransaction):
        query, used = _compiled_template(sql, len(args), "sqlite")
        return await transaction.run(query, list(args[:used]))
    if isinstance(transaction, ScaleTransaction):
        return await transaction.engine.fetch(sql, args)
    return await table.raw(sql, *args)


class ScaleTransaction(PostgresTransaction):
    """Piccolo's transaction, which always gives its connection back to the pool.

    Piccolo's rolls back on an error and only then releases: when the error was the connection
    dying (PostgreSQL restarted), the rollback fails too, the pool never gets the connection
    back, and after max_size such errors every request waits for a connection forever.
    """

    engine: ScaleEngine

    def __init__(self, engine: ScaleEngine, allow_nested: bool = True) -> None:
        super().__init__(engine, allow_nested)
        self.changes: set[tuple[str, str]] = set()

    async def get_connection(self) -> asyncpg.Connection:
        if self.engine.pool:
            return await self.engine.take_connection()
        return await self.engine.get_new_connection()

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self._roll_back_unless_lost()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self.engine.current_transaction.reset(self.context)
            if self.engine.pool:
                await self.engine.give_back(self.connection, keep=exception is None)
            else:
                await self.connection.close()
        await _announce(self)
        return exception is None

    async def _roll_back_unless_lost(self) -> None:
        try:
            await self.rollback()
        except Exception as error:
            # Mostly the connection is gone, and its transaction with it. Either way the error
            # that ended the transaction is the one to raise; the pool rolls back (or drops) a
            # connection given back in a transaction.
            logger.warning("rollback failed: %s: %s", type(error).__name__, error)


class ScaleEngine(PostgresEngine):
    """Piccolo's PostgresEngine with a bounded wait for a pooled connection, taken in turn, and
    transactions that give their connection back whatever happens (ScaleTransaction).

    asyncpg's pool hands a connection given back to the first waiter by waking it, and a
    request that asks in the meantime takes it first: the one woken finds none and queues again
    at the back. With more requests in flight than connections (32 to 10 in bench/), some
    waited several times over: an outlet page's p99 was 96 ms at p50 24 ms. In front of the
    pool, an asyncio.Semaphore of its size, first come first served, lets a request ask the pool
    only when a connection is free for it: p99 38.9 ms at p50 33.6 ms (bench/README.md "Reviews
    over HTTP", session 14).

    A connection whose use ended cleanly (its statement answered, its transaction committed)
    is kept here, not given back to asyncpg's pool: taking it from the pool and giving it back
    there cost ~30 µs of CPU a use (a timeout, a task, a timer; session 16), and a matter's
    send made six uses. One that failed goes back to the pool, which waits for a cancelled
    statement, rolls back or drops it; one the server ended is found released (asyncpg
    detaches it) and the pool connects again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.committed_actions: dict[str, list[Action]] = {}
        self._turns: asyncio.Semaphore | None = None
        self._kept: list[asyncpg.Connection] = []  # taken from the pool, free, no turn held

    async def start_connection_pool(self, **kwargs: Any) -> None:
        await super().start_connection_pool(**kwargs)
        self._turns = asyncio.Semaphore(self.pool.get_max_size())

    async def close_connection_pool(self) -> None:
        kept, self._kept = self._kept, []
        for connection in kept:
            await self.pool.release(connection, timeout=RELEASE_SECONDS)
        await super().close_connection_pool()

    async def take_connection(self) -> asyncpg.Connection:
        """A pooled connection, in the order asked, within POOL_WAIT_SECONDS in all."""
        assert self.pool is not None and self._turns is not None
        deadline = asyncio.get_running_loop().time() + POOL_WAIT_SECONDS
        if self._turns.locked():
            async with asyncio.timeout_at(deadline):
                await self._turns.acquire()
        else:
            await self._turns.acquire()  # free, and nobody waiting: taken without a wait
        try:
            while self._kept:
                connection = self._kept.pop()
                if _is_free(connection):
                    return connection
                await self.pool.release(connection, timeout=RELEASE_SECONDS)
            async with asyncio.timeout_at(deadline):
                return await self.pool.acquire()
        except BaseException:
            self._turns.release()
            raise

    async def give_back(self, connection: asyncpg.Connection, keep: bool = False) -> None:
        """`keep`: the connection's use ended cleanly, and it is kept for the next."""
        assert self.pool is not None and self._turns is not None
        try:
            if keep and _is_free(connection):
                self._kept.append(connection)
            else:
                await self.pool.release(connection, timeout=RELEASE_SECONDS)
        finally:
            self._turns.release()

    def transaction(self, allow_nested: bool = True) -> ScaleTransaction:
        return ScaleTransaction(engine=self, allow_nested=allow_nested)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True):
        _compile(querystring, self.engine_type)
        return await super().run_querystring(querystring, in_pool=in_pool)

    async def fetch(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        """The rows of `sql` (its arguments as `{}`, like `raw`), compiled once and sent
        straight to the connection of the transaction under way, or to a pooled one."""
        query, used = _compiled_template(sql, len(args), self.engine_type)
        values = args[:used]
        transaction = self.current_transaction.get()
        if transaction is not None:
            rows = await transaction.connection.fetch(query, *values)
        else:
            rows = await self._run_in_pool(query, list(values))
        return [dict(row) for row in rows]

    async def _run_in_pool(self, query: str, args: list[Any] | None = None):
        if not self.pool:
            raise ValueError("A pool isn't currently running.")
        connection = await self.take_connection()
        answered = False
        try:
            rows = await connection.fetch(query, *(args or []))
            answered = True
            return rows
        finally:
            await self.give_back(connection, keep=answered)


def _is_free(connection: asyncpg.Connection) -> bool:
    """Open, with no transaction left open: fit for the next use as it is."""
    try:
        return not connection.is_closed() and not connection.is_in_transaction()
    except asyncpg.InterfaceError:  # the server ended it, and asyncpg released it to the pool
        return False


def engine_for(settings: Settings) -> Engine:
    if settings.uses_postgres:
        # JIT off: compiling costs ~20 ms whenever a plan's estimated cost passes
        # jit_above_cost (a long search query's can, search.py), to save microseconds.
        return ScaleEngine(
            config={
                "dsn": settings.database_url,
                "server_settings": {"jit": "off"},
                "timeout": CONNECT_TIMEOUT_SECONDS,
            },
            log_queries=False,
        )
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # The busy timeout (seconds) lets concurrent writers wait instead of failing with
    # "database is locked" (SECURITY.md gotcha 9).
    return EmbeddedEngine(path=str(path), timeout=30)


async def open_engine(engine: Engine, statement_seconds: float | None = None) -> None:
    """Start the connection pool (PostgreSQL) or switch the file to WAL mode and keep read
    connections (SQLite). `statement_seconds` bounds each PostgreSQL statement (the web
    processes'; asyncpg's command_timeout).

    A database that is down must not stop the process: /readyz reports it, and queries work
    again once it is back. The pool starts with no connection (min_size 0), so it exists
    whether PostgreSQL answers or not; it connects when a query needs one, and replaces a
    connection that died (PostgreSQL restarted) when it is next taken. SQLite's read
    connections open when first used.
    """
    if isinstance(engine, EmbeddedEngine):
        engine.start_reads()
    try:
        if isinstance(engine, PostgresEngine):
            await engine.start_connection_pool(
                min_size=0,
                max_size=POOL_SIZE,
                reset=_session_state_is_never_changed,
                command_timeout=statement_seconds,
            )
        elif isinstance(engine, SQLiteEngine):
            await engine.run_ddl("PRAGMA journal_mode=WAL")
    except Exception as error:  # any driver error: start anyway, not ready
        logger.error("database not reachable at start-up: %s: %s", type(error).__name__, error)


async def _session_state_is_never_changed(connection: asyncpg.Connection) -> None:
    """The pool's reset of a connection it takes back (asyncpg rolls back an open transaction
    before calling it). Its default resets session settings, listeners, cursors and advisory
    locks, which the app never changes, in a round trip after every statement: ~45 µs of an
    uncached record page in the scale profile (1,700 → 1,950 requests a second, bench/)."""


async def close_engine(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()
    elif isinstance(engine, EmbeddedEngine):
        await engine.close_reads()


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
    """A transaction that will write: IMMEDIATE on SQLite, so concurrent writers queue (on the
    writing connection's lock in this process, on the busy timeout across processes) instead
    of failing with "database is locked" (SECURITY.md gotcha 9)."""
    if isinstance(engine, EmbeddedEngine):
        return engine.write_transaction()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def when_committed(engine: Engine, change: str, action: Action) -> None:
    """Do `action` whenever a transaction on `engine` that made `change` has committed (and
    never for one rolled back). The app wires these (create_app): a service only says what it
    changed (`changed`), and the app knows what depends on it, such as a cached page."""
    engine.committed_actions.setdefault(change, []).append(action)


async def changed(engine: Engine, change: str, subject: str = "") -> None:
    """`change` is made (to `subject`, such as an outlet's id): in a transaction, the app's
    actions for it run once the outermost transaction commits (once, with every subject the
    transaction made it to); outside one, now.

    Not before the commit: a page forgotten then would be rendered again, by another request,
    from what is committed so far, and kept with the figures the commit was about to change."""
    if not getattr(engine, "committed_actions", None):
        return  # an engine no app has wired (a test's own)
    transaction = engine.current_transaction.get()
    if transaction is None:
        await _run_actions(engine, [(change, subject)])
    else:
        transaction.changes.add((change, subject))


async def _announce(transaction: WriterTransaction | FileTransaction | ScaleTransaction) -> None:
    """The changes of a transaction that has just ended: their actions, if it committed."""
    if transaction.changes and transaction._committed and not transaction._rolled_back:
        await _run_actions(transaction.engine, transaction.changes)


async def _run_actions(engine: Engine, changes: Iterable[tuple[str, str]]) -> None:
    """The write is committed, whatever happens here: an action that fails (the page cache's
    Redis away) is logged, and the person who wrote is not told their write failed."""
    subjects: dict[str, set[str]] = {}
    for change, subject in changes:
        subjects.setdefault(change, set()).add(subject)
    for change, of_change in subjects.items():
        for action in engine.committed_actions.get(change, ()):
            try:
                await action(frozenset(of_change))
            except Exception as error:
                outage = is_outage(error)
                logger.log(
                    logging.WARNING if outage else logging.ERROR,
                    "after a commit, %s was not followed up: %s: %s",
                    change,
                    type(error).__name__,
                    error,
                    exc_info=not outage,
                )
