"""A file store's write, Litestar's FileStore (a thread hop for its mkdir, another for the write)
against LocalFileStore (on the event loop): CPU and wall µs a write of a rate-limit-sized entry,
alternated twice. A benchmark, not a test; the figure is in docs/decisions/shell-and-performance.md
("Stores").

    PYTHONPATH=. taskset -c 0 .venv/bin/python bench/store_writes.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from litestar.stores.file import FileStore

from backend.core.stores import LocalFileStore

WRITES = 3000
ENTRY = b"\x92\x01" * 20  # about a limiter's history of a client


async def per_write(store_class: type[FileStore]) -> tuple[float, float]:
    """(wall µs, CPU µs) a write, over WRITES writes to 50 keys."""
    store = store_class(Path(tempfile.mkdtemp()))
    await store.set("warm", b"x")
    cpu, wall = time.process_time(), time.perf_counter()
    for number in range(WRITES):
        await store.set(f"rate_limit::127.0.0.1::{number % 50}", ENTRY, expires_in=60)
    return (time.perf_counter() - wall) / WRITES * 1e6, (time.process_time() - cpu) / WRITES * 1e6


async def main() -> None:
    for store_class in (FileStore, LocalFileStore, FileStore, LocalFileStore):
        wall, cpu = await per_write(store_class)
        print(f"{store_class.__name__:15} wall {wall:7.1f} µs  CPU {cpu:7.1f} µs a write")


if __name__ == "__main__":
    asyncio.run(main())
