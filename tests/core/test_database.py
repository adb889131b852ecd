"""The embedded engine's kept read connections: fresh data, right rows, opened once, closed."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import aiosqlite
import pytest
from hypothesis import given
from hypothesis import strategies as st
from piccolo.columns import Integer, Varchar
from piccolo.querystring import QueryString
from piccolo.table import Table

from backend.core.database import (
    STATEMENTS_ON_THE_LOOP,
    VALUES_ON_THE_LOOP,
    CommitGroupFailed,
    EmbeddedEngine,
    _compile,
    close_engine,
    open_engine,
    read_by_key,
    write_transaction,
)
from backend.inquiries.tables import Record
from tests.conftest import PROFILE, serve

pytestmark = pytest.mark.skipif(PROFILE != "sqlite+file", reason="the embedded profile only")


class Note(Table):
    """A table of the tests' own, in a database file of each test's own."""

    text = Varchar(length=100)
    position = Integer()


class ConnectionCount:
    def __init__(self) -> None:
        self.opened = 0


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> ConnectionCount:
    """Counts every SQLite connection opened, Piccolo's own and the kept ones."""
    count = ConnectionCount()
    connect = aiosqlite.connect

    def counting_connect(*args, **kwargs):
        count.opened += 1
        return connect(*args, **kwargs)

    monkeypatch.setattr(aiosqlite, "connect", counting_connect)
    return count


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[EmbeddedEngine]:
    engine = EmbeddedEngine(path=str(tmp_path / "reads.sqlite3"), timeout=30)
    await open_with_notes(engine)
    yield engine
    await close_engine(engine)


async def open_with_notes(engine: EmbeddedEngine, *notes: Note) -> None:
    """Open `engine` as the app does, with the note table in it holding `notes`."""
    Note._meta.db = engine
    await open_engine(engine)
    await Note.create_table()
    if notes:
        await Note.insert(*notes)


def _write_directly(path: str, statement: str, *args: object) -> None:
    """A write by another process (another worker, a command), through plain sqlite3."""
    with closing(sqlite3.connect(path, timeout=30)) as connection:
        connection.execute(statement, args)
        connection.commit()


async def test_reads_outside_a_transaction_reuse_one_kept_connection(
    engine: EmbeddedEngine, connections: ConnectionCount
) -> None:
    await Note.insert(Note(text="first", position=1))
    opened_before_reads = connections.opened
    for _ in range(50):
        assert (await Note.select(Note.text).first()) == {"text": "first"}
    assert connections.opened - opened_before_reads == 1
    assert engine.read_connections_opened == 1


async def test_writes_outside_a_transaction_are_seen_by_the_next_read(
    engine: EmbeddedEngine,
) -> None:
    assert await Note.select().first() is None  # the read connection is open now
    await Note.insert(Note(text="new", position=1))
    assert (await Note.select(Note.text).first()) == {"text": "new"}
    await Note.update({Note.text: "changed"}).where(Note.position == 1)
    assert (await Note.select(Note.text).first()) == {"text": "changed"}
    assert await Note.count() == 1
    await Note.delete().where(Note.position == 1)
    assert await Note.select().first() is None
    assert not await Note.exists().where(Note.position == 1)


async def test_a_committed_write_transaction_is_seen_and_a_rolled_back_one_is_not(
    engine: EmbeddedEngine,
) -> None:
    assert await Note.count() == 0
    async with write_transaction(engine):
        await Note.insert(Note(text="in a transaction", position=1))
        # Inside the transaction, reads use its connection and see its own write...
        assert await Note.count() == 1
    # ...and after the commit, the kept read connection sees it too.
    assert (await Note.select(Note.text).first()) == {"text": "in a transaction"}

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with write_transaction(engine):
            await Note.update({Note.text: "rolled back"}).where(Note.position == 1)
            raise Undo
    assert (await Note.select(Note.text).first()) == {"text": "in a transaction"}


async def test_a_write_by_another_process_is_seen_by_the_next_read(engine: EmbeddedEngine) -> None:
    assert await Note.count() == 0
    for position in range(1, 4):
        _write_directly(engine.path, "INSERT INTO note (text, position) VALUES ('x', ?)", position)
        assert await Note.count() == position


async def test_reads_leave_no_read_transaction_open_to_hold_back_the_wal(
    engine: EmbeddedEngine,
) -> None:
    await Note.insert(*[Note(text="row", position=n) for n in range(100)])
    assert len(await Note.select().limit(10)) == 10  # a partial read of the table
    assert await Note.select().first() is not None
    _write_directly(engine.path, "UPDATE note SET text = 'newer'")
    with closing(sqlite3.connect(engine.path, timeout=30)) as other:
        busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0  # a reader holding a snapshot would make the checkpoint busy
    assert (await Note.select(Note.text).first()) == {"text": "newer"}


async def test_concurrent_reads_each_get_their_own_row(engine: EmbeddedEngine) -> None:
    await Note.insert(*[Note(text=f"note {n}", position=n) for n in range(300)])
    positions = [random.randrange(300) for _ in range(600)]

    async def read(position: int) -> tuple[int, list[dict]]:
        rows = await Note.select(Note.text, Note.position).where(Note.position == position)
        return position, rows

    results = await asyncio.gather(*(read(position) for position in positions))
    for position, rows in results:
        assert rows == [{"text": f"note {position}", "position": position}]
    everything = await asyncio.gather(*(Note.select(Note.position) for _ in range(20)))
    assert all(len(rows) == 300 for rows in everything)
    assert 1 <= engine.read_connections_opened <= engine.read_connections


async def test_concurrent_writers_each_read_back_their_own_write(engine: EmbeddedEngine) -> None:
    async def write_then_read(position: int) -> dict | None:
        if position % 2:
            async with write_transaction(engine):
                await Note.insert(Note(text=f"note {position}", position=position))
        else:
            await Note.insert(Note(text=f"note {position}", position=position))
        return await Note.select(Note.text).where(Note.position == position).first()

    results = await asyncio.gather(*(write_then_read(position) for position in range(40)))
    assert results == [{"text": f"note {position}"} for position in range(40)]
    assert await Note.count() == 40


async def test_a_raw_write_still_goes_through_a_writing_connection(engine: EmbeddedEngine) -> None:
    assert await Note.count() == 0
    rows = await Note.raw(
        "INSERT INTO note (text, position) VALUES ({}, {}) RETURNING position", "raw", 7
    )
    assert rows == [{"position": 7}]
    assert await Note.raw("SELECT text FROM note WHERE position = {}", 7) == [{"text": "raw"}]


async def test_a_statement_error_is_raised_and_keeps_the_connection(
    engine: EmbeddedEngine,
) -> None:
    await Note.count()
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await Note.raw("SELECT * FROM no_such_table")
    with pytest.raises(sqlite3.ProgrammingError, match="Incorrect number of bindings"):
        await Note.raw("SELECT * FROM note WHERE position = ?")
    await Note.count()
    assert engine.read_connections_opened == 1


async def test_a_dead_read_connection_is_replaced(engine: EmbeddedEngine) -> None:
    await Note.insert(Note(text="still here", position=1))
    await Note.count()
    await engine._readers[0].connection.close()  # as if it had died
    assert (await Note.select(Note.text).first()) == {"text": "still here"}
    assert await Note.count() == 1
    assert engine.read_connections_opened == 2


async def test_close_ends_the_kept_connections_and_reads_go_on_without_them(
    engine: EmbeddedEngine, connections: ConnectionCount
) -> None:
    await Note.insert(Note(text="kept", position=1))
    await asyncio.gather(*(Note.count() for _ in range(20)))
    kept = [reader.connection for reader in engine._readers]
    await close_engine(engine)
    assert kept and all(connection._connection is None for connection in kept)
    opened = connections.opened
    assert await Note.count() == 1
    assert await Note.count() == 1
    assert connections.opened - opened == 2  # one connection per statement, as Piccolo does
    await close_engine(engine)  # closing twice is harmless
    await open_engine(engine)
    assert await Note.count() == 1
    assert engine.read_connections_opened == len(kept) + 1


def test_the_kept_connection_serves_one_event_loop_after_another(tmp_path: Path) -> None:
    """Tests (and Litestar's test client) run apps in loops of their own, one after another."""
    engine = EmbeddedEngine(path=str(tmp_path / "loops.sqlite3"), timeout=30)

    async def start() -> None:
        await open_with_notes(engine, Note(text="from the first loop", position=1))
        assert await Note.count() == 1

    async def read_again() -> dict | None:
        Note._meta.db = engine
        return await Note.select(Note.text).first()

    asyncio.run(start())
    assert asyncio.run(read_again()) == {"text": "from the first loop"}
    assert asyncio.run(read_again()) == {"text": "from the first loop"}
    assert engine.read_connections_opened == 1
    asyncio.run(close_engine(engine))
    assert asyncio.run(read_again()) == {"text": "from the first loop"}


async def test_the_app_keeps_read_connections_from_start_to_stop(make_app) -> None:
    app = make_app()
    engine = app.state.engine
    assert isinstance(engine, EmbeddedEngine)
    async with serve(app):
        number = f"TEST{random.randrange(10**9)}"
        await Record.insert(Record(number=number, title="Kept connections"))
        found = await Record.select(Record.title).where(Record.number == number).first()
        assert found == {"title": "Kept connections"}
        await Record.delete().where(Record.number == number)
        assert await Record.select().where(Record.number == number).first() is None
        assert engine.read_connections_opened >= 1
    assert engine._readers is None


# Reads by a unique key run on the calling thread (database.read_by_key).
NOTE_AT = "SELECT text FROM note WHERE position = {}"


async def test_a_read_by_key_sees_every_committed_write(engine: EmbeddedEngine) -> None:
    assert await read_by_key(Note, NOTE_AT, 1) == []
    await Note.insert(Note(text="ours", position=1))
    assert await read_by_key(Note, NOTE_AT, 1) == [{"text": "ours"}]
    _write_directly(engine.path, "UPDATE note SET text = 'another process' WHERE position = 1")
    assert await read_by_key(Note, NOTE_AT, 1) == [{"text": "another process"}]
    _write_directly(engine.path, "UPDATE note SET text = 'latest' WHERE position = 1")
    with closing(sqlite3.connect(engine.path, timeout=30)) as other:
        busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0  # the read held no snapshot back
    assert await read_by_key(Note, NOTE_AT, 1) == [{"text": "latest"}]


async def test_a_read_by_key_in_a_transaction_sees_the_transaction_s_own_writes(
    engine: EmbeddedEngine,
) -> None:
    async with write_transaction(engine):
        await Note.insert(Note(text="not committed yet", position=7))
        assert await read_by_key(Note, NOTE_AT, 7) == [{"text": "not committed yet"}]
    assert await read_by_key(Note, NOTE_AT, 7) == [{"text": "not committed yet"}]


async def test_a_read_by_key_cannot_write(engine: EmbeddedEngine) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly database"):
        engine.read_by_key_now("DELETE FROM note", [])


async def test_a_busy_database_file_does_not_stop_the_event_loop(engine: EmbeddedEngine) -> None:
    """A connection in exclusive locking mode shuts readers out; the read by key then waits on
    a read connection's thread while the event loop serves the rest. (Written from outside:
    the engine's kept writing connection would itself keep the locker out.)"""
    _write_directly(engine.path, "INSERT INTO note (text, position) VALUES ('behind the lock', 3)")
    locker = sqlite3.connect(engine.path, timeout=30, check_same_thread=False)
    locker.execute("PRAGMA locking_mode = EXCLUSIVE")
    locker.execute("BEGIN EXCLUSIVE")
    locker.execute("UPDATE note SET position = 3 WHERE position = 3")
    assert engine.read_by_key_now("SELECT text FROM note WHERE position = ?", [3]) is None
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def unlock_later() -> None:
        await asyncio.sleep(0.3)
        locker.commit()
        locker.execute("PRAGMA locking_mode = NORMAL")
        locker.execute("SELECT 1 FROM note").fetchall()  # the lock is let go at the next read
        locker.close()

    ticker = asyncio.create_task(tick())
    try:
        read, _ = await asyncio.gather(read_by_key(Note, NOTE_AT, 3), unlock_later())
    finally:
        ticker.cancel()
    assert read == [{"text": "behind the lock"}]
    assert ticks >= 10  # the loop kept turning while the read waited


def test_each_thread_reads_by_key_on_a_connection_of_its_own(tmp_path: Path) -> None:
    engine = EmbeddedEngine(path=str(tmp_path / "threads.sqlite3"), timeout=30)

    notes = [Note(text=f"note {n}", position=n) for n in range(20)]
    both_running = threading.Barrier(2)

    def read_all(first: int) -> list[list[dict]]:
        both_running.wait(timeout=10)

        async def reads() -> list[list[dict]]:
            return [await read_by_key(Note, NOTE_AT, n) for n in range(first, 20, 2)]

        return asyncio.run(reads())

    asyncio.run(open_with_notes(engine, *notes))
    with ThreadPoolExecutor(max_workers=2) as pool:
        evens, odds = pool.map(read_all, (0, 1))
    assert evens == [[{"text": f"note {n}"}] for n in range(0, 20, 2)]
    assert odds == [[{"text": f"note {n}"}] for n in range(1, 20, 2)]
    assert len(engine._key_reader_connections) == 2
    asyncio.run(close_engine(engine))
    assert engine._key_reader_connections == []


# Writes in this process: one kept connection, one writer at a time, the writers queued together
# committed together (database.WriterTransaction).


async def test_writes_in_this_process_share_one_kept_connection(
    engine: EmbeddedEngine, connections: ConnectionCount
) -> None:
    await Note.insert(Note(text="first", position=0))
    opened = connections.opened
    for position in range(1, 21):
        if position % 2:
            async with write_transaction(engine):
                await Note.insert(Note(text="in a transaction", position=position))
        else:
            await Note.update({Note.text: "changed"}).where(Note.position == position - 1)
    assert connections.opened == opened
    assert await Note.count() == 11


async def test_concurrent_write_transactions_take_turns_in_the_order_they_came(
    engine: EmbeddedEngine,
) -> None:
    order: list[int] = []

    async def write(position: int) -> None:
        async with write_transaction(engine):
            order.append(position)
            await Note.insert(Note(text=f"note {position}", position=position))
            await asyncio.sleep(0)  # another writer would run here if it could
            assert await Note.count().where(Note.position == position) == 1
            order.append(position)

    await asyncio.gather(*(write(position) for position in range(32)))
    assert order == [position for position in range(32) for _ in (1, 2)]
    assert await Note.count() == 32


async def test_a_failed_write_leaves_the_connection_clean_for_the_next_writer(
    engine: EmbeddedEngine,
) -> None:
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        async with write_transaction(engine):
            await Note.insert(Note(text="undone", position=1))
            await Note.raw("INSERT INTO no_such_table VALUES (1)")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await Note.raw("INSERT INTO no_such_table VALUES (1)")
    await Note.insert(Note(text="kept", position=2))
    assert not engine._writer.connection.in_transaction
    assert await Note.select(Note.text).output(as_list=True) == ["kept"]


def _committed_positions(path: str) -> list[int]:
    """The notes' positions as another connection sees them: what is committed."""
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT position FROM note ORDER BY position").fetchall()
    return [position for (position,) in rows]


async def _write_note(engine: EmbeddedEngine, position: int, then: str = "") -> None:
    """A write transaction that yields inside (others queue behind it meanwhile), making the
    note `position`, then running the statement `then`, if any."""
    async with write_transaction(engine):
        await Note.insert(Note(text=f"note {position}", position=position))
        await asyncio.sleep(0.01)
        if then:
            await Note.raw(then)


async def test_writers_queued_together_share_one_commit_and_each_is_committed_when_it_returns(
    engine: EmbeddedEngine,
) -> None:
    commits = engine._writer.commits if engine._writer else 0
    seen_on_return: dict[int, list[int]] = {}

    async def write(position: int) -> None:
        await _write_note(engine, position)
        seen_on_return[position] = _committed_positions(engine.path)

    await asyncio.gather(*(write(position) for position in range(32)))
    assert sorted(seen_on_return) == list(range(32))
    assert all(position in seen for position, seen in seen_on_return.items())
    assert _committed_positions(engine.path) == list(range(32))
    assert engine._writer.commits - commits == 1  # the first writer's turn again: one COMMIT


async def test_a_writer_that_fails_in_a_group_undoes_only_its_own_writes(
    engine: EmbeddedEngine,
) -> None:
    results = await asyncio.gather(
        _write_note(engine, 1),
        _write_note(engine, 2, then="INSERT INTO no_such_table VALUES (1)"),
        _write_note(engine, 3),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], sqlite3.OperationalError)
    assert _committed_positions(engine.path) == [1, 3]
    assert not engine._writer.connection.in_transaction


async def test_a_commit_that_fails_fails_every_writer_of_its_group_and_stores_nothing(
    engine: EmbeddedEngine,
) -> None:
    """A foreign key checked at COMMIT (DEFERRABLE INITIALLY DEFERRED) makes the COMMIT fail,
    as a full disk would."""
    await engine.run_ddl("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    await engine.run_ddl(
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) "
        "DEFERRABLE INITIALLY DEFERRED)"
    )
    results = await asyncio.gather(
        _write_note(engine, 1),
        _write_note(engine, 2, then="INSERT INTO child (parent_id) VALUES (99)"),
        return_exceptions=True,
    )
    assert all(isinstance(result, CommitGroupFailed) for result in results)
    assert _committed_positions(engine.path) == []
    await _write_note(engine, 3)  # the next writer starts afresh
    assert _committed_positions(engine.path) == [3]


async def test_a_writer_whose_statement_rolls_back_the_whole_transaction_fails_its_group(
    engine: EmbeddedEngine,
) -> None:
    """RAISE(ROLLBACK) in a trigger ends the SQLite transaction, as a full disk mid-statement
    does: the group's other writes are gone with it, so none of its writers may say stored."""
    await engine.run_ddl("CREATE TABLE refusing (id INTEGER)")
    await engine.run_ddl(
        "CREATE TRIGGER refuse BEFORE INSERT ON refusing "
        "BEGIN SELECT RAISE(ROLLBACK, 'refused'); END"
    )
    results = await asyncio.gather(
        _write_note(engine, 1),
        _write_note(engine, 2, then="INSERT INTO refusing VALUES (1)"),
        _write_note(engine, 3),
        return_exceptions=True,
    )
    assert isinstance(results[0], CommitGroupFailed)
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert results[2] is None  # it began a transaction of its own after the rollback
    assert _committed_positions(engine.path) == [3]


async def test_a_writer_cancelled_in_its_transaction_leaves_nothing_open(
    engine: EmbeddedEngine,
) -> None:
    async def write_and_wait() -> None:
        async with write_transaction(engine):
            await Note.insert(Note(text="cancelled", position=1))
            await asyncio.sleep(10)

    writing = asyncio.create_task(write_and_wait())
    others = asyncio.gather(_write_note(engine, 2), _write_note(engine, 3))
    await asyncio.sleep(0.05)
    writing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writing
    await others
    assert _committed_positions(engine.path) == [2, 3]
    assert not engine._writer.connection.in_transaction


async def test_a_write_on_another_event_loop_opens_a_connection_of_its_own(
    engine: EmbeddedEngine,
) -> None:
    await Note.insert(Note(text="this loop", position=1))

    def on_another_loop() -> None:
        async def write() -> None:
            async with write_transaction(engine):
                await Note.insert(Note(text="another loop", position=2))

        asyncio.run(write())

    await asyncio.to_thread(on_another_loop)
    assert await Note.count() == 2


async def test_another_process_writes_between_this_process_s_writes(
    engine: EmbeddedEngine,
) -> None:
    await Note.insert(Note(text="ours", position=1))
    _write_directly(engine.path, "INSERT INTO note (text, position) VALUES ('theirs', 2)")
    async with write_transaction(engine):
        await Note.update({Note.text: "ours again"}).where(Note.position == 1)
    _write_directly(engine.path, "UPDATE note SET text = 'theirs again' WHERE position = 2")
    texts = await Note.select(Note.text).order_by(Note.position).output(as_list=True)
    assert texts == ["ours again", "theirs again"]


async def test_a_transaction_of_many_statements_and_values_commits_or_rolls_back_whole(
    engine: EmbeddedEngine,
) -> None:
    """Its first short statements run on the event loop, the rest in the connection's thread
    (WriterTransaction.run): one transaction all the same."""
    many = STATEMENTS_ON_THE_LOOP + 4
    async with write_transaction(engine):
        for position in range(many):
            await Note.insert(Note(text=f"note {position}", position=position))
        await Note.insert(
            *(Note(text="bulk", position=1000 + n) for n in range(VALUES_ON_THE_LOOP))
        )
        assert await Note.count() == many + VALUES_ON_THE_LOOP
    assert await Note.count() == many + VALUES_ON_THE_LOOP

    with pytest.raises(sqlite3.IntegrityError):
        async with write_transaction(engine):
            await Note.delete().where(Note.position < 1000)
            for _ in range(many):
                await Note.raw("UPDATE note SET text = {} WHERE position >= 1000", "changed")
            await Note.raw("INSERT INTO note (text, position) VALUES ('no position', NULL)")
    assert await Note.count() == many + VALUES_ON_THE_LOOP
    assert await Note.count().where(Note.text == "changed") == 0


_FRAGMENTS = st.sampled_from(["SELECT ", "{}", " = ", "{{", "}}", "'a'", ", ", "x"])


@given(
    template=st.lists(_FRAGMENTS, max_size=12).map("".join),
    values=st.integers(min_value=0, max_value=8),
    engine_type=st.sampled_from(["sqlite", "postgres"]),
)
def test_a_statement_of_values_compiles_as_piccolo_compiles_it(
    template: str, values: int, engine_type: str
) -> None:
    args = [f"value {n}" for n in range(values)]
    ours, theirs = QueryString(template, *args), QueryString(template, *args)
    _compile(ours, engine_type)
    assert ours.compile_string(engine_type) == theirs.compile_string(engine_type)


async def test_a_writer_waits_for_another_process_s_write_without_stopping_the_event_loop(
    engine: EmbeddedEngine,
) -> None:
    await Note.insert(Note(text="ours", position=1))  # the writing connection is open
    theirs = sqlite3.connect(engine.path, isolation_level=None)
    theirs.execute("BEGIN IMMEDIATE")
    theirs.execute("INSERT INTO note (text, position) VALUES ('theirs', 2)")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def ours() -> None:
        async with write_transaction(engine):
            await Note.update({Note.text: "ours, after theirs"}).where(Note.position == 1)

    ticking, writing = asyncio.create_task(tick()), asyncio.create_task(ours())
    await asyncio.sleep(0.3)
    assert not writing.done()  # waiting for their write lock
    theirs.execute("COMMIT")
    theirs.close()
    await writing
    ticking.cancel()

    assert ticks >= 15  # the event loop went on meanwhile
    texts = await Note.select(Note.text).order_by(Note.position).output(as_list=True)
    assert texts == ["ours, after theirs", "theirs"]
