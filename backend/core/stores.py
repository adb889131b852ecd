"""Sessions, rate-limit counters and challenges: file stores (embedded) or Redis (scale).

Nothing a second worker would need is kept in process memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import msgspec
from litestar.stores.base import StorageObject, Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from backend.core.rate_limit import Window
from backend.settings import Settings

READY_TIMEOUT_SECONDS = 3.0
# Redis that does not answer must not hold a request (docs/decisions/scale-faults.md): a
# connection gives up after CONNECT_TIMEOUT_SECONDS, a command after COMMAND_TIMEOUT_SECONDS
# (they take well under a millisecond; the margin is for a loaded event loop).
CONNECT_TIMEOUT_SECONDS = 1.0
COMMAND_TIMEOUT_SECONDS = 2.0


class LocalFileStore(FileStore):
    """Litestar's FileStore, reading on the event loop rather than in a worker thread.

    Its entries (sessions, counters, cached pages) are a few KB on a local disk, read in
    microseconds from the OS page cache; the hop to a thread and back costs ~50 µs, a quarter of
    a cached page's time (bench/). Writes are on the event loop too, with FileStore's atomic
    rename: a temporary file written into the OS page cache (never synced: a counter or a page
    may be lost in a power cut, and is made again) and renamed costs ~150 µs of CPU, where
    FileStore's set took two hops to a thread (its mkdir, then the write): ~340 µs, and 0.9–4.6 ms
    of wall time under load, for the rate-limit counter every POST writes (bench/store_writes.py).
    """

    def _file_of(self, key: str) -> str:
        """FileStore's file for `key` (the key's BLAKE2 hash) as a plain path: FileStore makes an
        anyio Path of it, ~10 µs a key, most of a missing file's unlink (bench/)."""
        return os.path.join(os.fspath(self.path), hashlib.blake2s(key.encode()).hexdigest())

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        file = self._file_of(key)
        stored = _read(file)
        if stored is None:
            return None
        if stored.expired:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(file)
            return None
        if renew_for and stored.expires_at:
            await self.set(key, stored.data, expires_in=renew_for)
        return stored.data

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None):
        if isinstance(value, str):
            value = value.encode("utf-8")
        folder = os.fspath(self.path)
        if not os.path.isdir(folder):  # delete_all removes it before making it again
            os.makedirs(folder, exist_ok=True)
        self._write_sync(self._file_of(key), StorageObject.new(value, expires_in))

    def _write_sync(self, target_file: str | os.PathLike[str], storage_obj: StorageObject) -> None:
        """FileStore's atomic rename, from a temporary name of this process and thread rather
        than mkstemp's random one (its name-making was a fifth of a counter's write, bench/):
        a thread's writes are one at a time, so nothing else writes to that name meanwhile."""
        temporary = f"{os.fspath(target_file)}.{os.getpid()}-{threading.get_ident()}.tmp"
        try:
            entry = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(entry, storage_obj.to_bytes())
            finally:
                os.close(entry)
            os.replace(temporary, target_file)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    @staticmethod
    async def _load_from_path(path: Path) -> StorageObject | None:
        return _read(os.fspath(path))

    async def increment(self, key: str, window_seconds: int) -> Window:
        """The rate limiter's count (core/rate_limit.py), read and written in place under the
        file's lock: every worker sharing the folder (embedded behind nginx) counts each request
        once, and no file is made or renamed (~60 µs less than `set`, bench/)."""
        now = int(time.time())
        entry = os.open(self._file_of(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(entry, fcntl.LOCK_EX)  # released when the file is closed
            count, ends = _count_in(os.pread(entry, 256, 0), now, window_seconds)
            count += 1
            stored = StorageObject.new(b"%d %d" % (count, ends), ends - now).to_bytes()
            os.pwrite(entry, stored, 0)
            os.ftruncate(entry, len(stored))
        finally:
            os.close(entry)
        return Window(count, ends - now)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Unlinked on the event loop: a few files, mostly absent, take microseconds, where
        FileStore.delete's hop to a thread costs ~100 µs of CPU apiece (bench/)."""
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._file_of(key))


def _count_in(stored: bytes, now: int, window_seconds: int) -> tuple[int, int]:
    """(the count so far, the window's end) of a counter's file; a new window when the file is
    new or not a count, or when its window has ended."""
    try:
        count, ends = map(int, StorageObject.from_bytes(stored).data.split())
    except (ValueError, msgspec.DecodeError):
        return 0, now + window_seconds
    return (count, ends) if ends > now else (0, now + window_seconds)


def _read(file: str) -> StorageObject | None:
    """An entry; None when it is absent or not one (a write cut short)."""
    try:
        with open(file, "rb") as entry:
            return StorageObject.from_bytes(entry.read())
    except (FileNotFoundError, msgspec.DecodeError):
        return None


class SharedRedisStore(RedisStore):
    """Litestar's RedisStore (its namespaces are this class too), deleting many keys at once and
    counting in one atomic round trip."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._increment_script = self._redis.register_script(
            b"""
            local count = redis.call('INCR', KEYS[1])
            if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
            return {count, redis.call('TTL', KEYS[1])}
            """
        )

    async def increment(self, key: str, window_seconds: int) -> Window:
        """The rate limiter's count (core/rate_limit.py), the same for every worker."""
        count, resets_in = await self._increment_script(
            keys=[self._make_key(key)], args=[window_seconds]
        )
        return Window(int(count), max(int(resets_in), 0))

    async def delete_many(self, keys: Iterable[str]) -> None:
        """One DEL: deleted one by one, each key is a round trip (~100 µs of CPU, bench/)."""
        if names := [self._make_key(key) for key in keys]:
            await self._redis.delete(*names)


def store_registry_for(settings: Settings) -> StoreRegistry:
    """Every named store ("sessions", "rate_limit", …) is its own Redis namespace or folder."""
    if settings.redis_url:
        root = SharedRedisStore(
            redis=redis_client(settings.redis_url),
            namespace=settings.store_namespace,
            handle_client_shutdown=True,
        )
        return StoreRegistry(default_factory=root.with_namespace)

    def file_store(name: str) -> LocalFileStore:
        path = settings.var_path / "stores" / settings.store_namespace / name
        path.mkdir(parents=True, exist_ok=True)
        return LocalFileStore(path)

    return StoreRegistry(default_factory=file_store)


def redis_client(url: str) -> Redis:
    """The stores' client (RedisStore.with_client's, with timeouts).

    A pooled connection that Redis closed (it restarted) fails once on its next command: that
    command is sent again on a new connection (retry_on_error), so nobody sees the error once
    Redis is back. A timeout is not retried: Redis did get the command.
    """
    pool = ConnectionPool.from_url(
        url,
        decode_responses=False,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=COMMAND_TIMEOUT_SECONDS,
        retry_on_error=[RedisConnectionError],
    )
    return Redis(connection_pool=pool)


async def store_problem(store: Store) -> str | None:
    """None when the store takes and gives back a value, otherwise why not (for /readyz)."""
    try:
        await asyncio.wait_for(store.set("readyz", b"1", expires_in=10), READY_TIMEOUT_SECONDS)
        value = await asyncio.wait_for(store.get("readyz"), READY_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"store did not answer within {READY_TIMEOUT_SECONDS:g} s"
    except Exception as error:  # any client error means "not ready"; say which
        return f"store unreachable: {type(error).__name__}: {error}"
    if value != b"1":
        return "store did not return what was written"
    return None


async def purge_expired(registry: StoreRegistry, names: tuple[str, ...]) -> None:
    """File stores keep expired entries until asked (SECURITY.md gotcha 2).

    Redis expires its own keys.
    """
    for name in names:
        store = registry.get(name)
        if isinstance(store, FileStore):
            await store.delete_expired()
