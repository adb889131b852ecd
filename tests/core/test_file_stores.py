"""The embedded profile's file stores, written on the event loop: what one process writes another
reads (several embedded workers share a var dir), entries expire, and a store emptied with
delete_all takes values again."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from pathlib import Path

from litestar.stores.file import FileStore

from backend.core.stores import LocalFileStore


async def test_a_value_written_by_one_worker_is_read_by_another(tmp_path: Path) -> None:
    writer, reader = LocalFileStore(tmp_path), LocalFileStore(tmp_path)

    await writer.set("rate:10.0.0.1", b"3 requests")
    await writer.set("locale", "zh_Hant")

    assert await reader.get("rate:10.0.0.1") == b"3 requests"
    assert await reader.get("locale") == b"zh_Hant"
    assert [entry.name for entry in tmp_path.iterdir() if ".tmp" in entry.name] == []


async def test_a_value_is_replaced_whole_and_expires(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    await store.set("counter", b"a much longer first value")
    await store.set("counter", b"short", expires_in=1)

    assert await store.get("counter") == b"short"
    assert await store.expires_in("counter") in (0, 1)
    await asyncio.sleep(1.1)
    assert await store.get("counter") is None


async def test_a_store_emptied_takes_values_again(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "response_cache")
    await store.set("page", b"<html>")

    await store.delete_all()
    assert await store.get("page") is None
    (tmp_path / "response_cache").rmdir()  # as another process's delete_all leaves it, for a moment
    await store.set("page", b"<html> again")

    assert await LocalFileStore(tmp_path / "response_cache").get("page") == b"<html> again"


async def test_entries_are_litestars_own_files(tmp_path: Path) -> None:
    """The store names and writes its files as Litestar's FileStore does (its expired-entry
    purge and an older process read them)."""
    ours, litestars = LocalFileStore(tmp_path), FileStore(tmp_path)
    await ours.set("session:abc", b"theirs to read", expires_in=60)
    await litestars.set("session:def", b"ours to read")

    assert await litestars.get("session:abc") == b"theirs to read"
    assert await ours.get("session:def") == b"ours to read"
    before = int(time.time())
    assert (await ours.increment("counter", 60)).count == 1
    assert (await ours.increment("counter", 60)).count == 2
    count, ends = (await litestars.get("counter")).split()
    assert count == b"2" and before + 60 <= int(ends) <= int(time.time()) + 60


def _count_many(folder: str, times: int) -> None:
    store = LocalFileStore(folder)

    async def count() -> None:
        for _ in range(times):
            await store.increment("client:10.0.0.1", 60)

    asyncio.run(count())


def test_workers_sharing_the_folder_count_every_request_once(tmp_path: Path) -> None:
    """Embedded workers behind nginx share the rate limiter's counters: four processes
    counting at once lose none of each other's counts."""
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_count_many, args=(str(tmp_path), 250)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * 4
    assert asyncio.run(LocalFileStore(tmp_path).increment("client:10.0.0.1", 60)).count == 1001
