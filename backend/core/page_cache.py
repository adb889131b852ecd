"""Public pages served from Litestar's response cache, and forgotten when what they show changes.

A cached page must be the same for everyone who gets it. So a page is cached only for an
anonymous visitor who sends no session cookie (the session middleware then sets no cookie that
could be stored with the page), never for htmx requests, and only with status 200. The key holds
everything else the page depends on: the path, the locale, elder mode and the encoding the
compression middleware chose (the stored body is the compressed one). Pages that use the cache
carry no per-visitor CSRF token: the forms on them that need no sign-in (language, elder mode)
are checked by origin instead (core/security.py), and scripts read the token from its cookie.

Entries expire after an hour at the latest; whoever changes what a page shows forgets its keys
(`forget`), in the same process or another (the store is shared: files or Redis).

Litestar looks the cache up inside the route's middleware, so a hit still pays for the whole
app middleware stack (sessions, account, locale, rate limit: more than half of a hit's time,
bench/). `front_door` answers a hit before that stack, from the same entries under the same key;
a miss (or a request it cannot key, such as a number typed in another form) goes on to Litestar.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import timedelta
from itertools import product

from litestar.connection import ASGIConnection
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send
from msgspec.msgpack import decode as decode_msgpack

from backend.core import i18n
from backend.core.compression import encoding_for
from backend.core.errors import OUTAGES
from backend.core.metrics import PAGE_CACHE_HITS, PAGE_CACHE_MISSES

PAGE_CACHE_STORE = "response_cache"  # Litestar's ResponseCacheConfig default store name
PAGE_LIFETIME_SECONDS = 3600
SESSION_COOKIE = "iph_session"
ENCODINGS = ("br", "gzip", "identity")
# Past this many pages, dropping the whole cache is cheaper than a delete per key.
FORGET_ONE_BY_ONE_UP_TO = 50
UNCACHEABLE = "uncacheable|"
# The key the front door has just looked up and missed, for this request.
_missed_at_the_door: ContextVar[str | None] = ContextVar("page_cache_missed", default=None)


def page_key(path: str, locale: str, elder: bool, encoding: str) -> str:
    return f"{path}|{locale}|{'elder' if elder else 'standard'}|{encoding}"


def key_for(request: ASGIConnection, path: str | None = None) -> str:
    """The key of the page `request` asks for; `path` when the route knows a canonical one."""
    if not _cacheable_request(request.scope):
        # A key that is never stored (see `should_store`): signed-in and htmx views miss.
        return f"{UNCACHEABLE}{id(request.scope)}"
    return _key_of_cacheable(request, path or request.url.path)


def _key_of_cacheable(request: ASGIConnection, path: str) -> str:
    # Before the middleware (front door) the locale is negotiated here, as LocaleMiddleware does.
    locale = request.scope.get("state", {}).get("locale") or i18n.locale_for_connection(
        request.cookies, request.headers, None
    )
    return page_key(
        path,
        locale,
        request.cookies.get(i18n.ELDER_COOKIE) == "1",
        encoding_for(request.headers.get("accept-encoding", "")),
    )


def should_store(scope: HTTPScope, status_code: int) -> bool:
    """ResponseCacheConfig's filter: only a 200 for an anonymous visitor without a session."""
    return status_code == 200 and _cacheable_request(scope)


def _cacheable_request(scope: HTTPScope) -> bool:
    if scope.get("user") is not None:
        return False
    session = SESSION_COOKIE.encode()
    for name, value in scope["headers"]:
        if name == b"hx-request" or (name == b"cookie" and session in value):
            return False
    return True


def keys_of(paths: Iterable[str]) -> list[str]:
    """Every key under which one of `paths` may be cached."""
    return [
        page_key(path, locale, elder, encoding)
        for path, locale, elder, encoding in product(paths, i18n.LOCALES, (False, True), ENCODINGS)
    ]


async def forget(store: Store, paths: Iterable[str]) -> None:
    """Drop the cached copies of `paths` (few: key by key; many: the whole cache)."""
    paths = list(paths)
    if not paths:
        return
    if len(paths) > FORGET_ONE_BY_ONE_UP_TO:
        await store.delete_all()
        return
    await _delete(store, keys_of(paths))


async def _delete(store: Store, keys: list[str]) -> None:
    """The keys dropped in one go: one DEL in Redis, unlinks on the event loop for files.

    A page has 18 keys (locales, elder mode, encodings); deleted one by one through the store,
    each is a Redis round trip or a worker thread's unlink, ~100 µs of CPU apiece: 1.8 ms for
    Redis and 2.2 ms for files a page forgotten, more than a rating's whole budget (bench/).
    Unlinking a few files that are mostly absent takes microseconds, as the reads do
    (stores.LocalFileStore)."""
    inner = store.store if isinstance(store, PageStore) else store
    if isinstance(inner, RedisStore):
        await inner._redis.delete(*(inner._make_key(key) for key in keys))
    elif isinstance(inner, FileStore):
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.fspath(inner._path_from_key(key)))
    else:
        for key in keys:
            await store.delete(key)


def front_door(app: ASGIApp, store: Store, prefixes: tuple[str, ...]) -> ASGIApp:
    """Answer GET requests under `prefixes` from the page cache before the app's middleware."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(prefixes)
            and not scope["query_string"]
            and _cacheable_request(scope)
        ):
            connection = ASGIConnection(scope)
            key = _key_of_cacheable(connection, connection.url.path)
            try:
                cached = await store.get(key)
            except Exception:  # the store is down: the app answers (and reports it at /readyz)
                cached = None
            if cached:
                PAGE_CACHE_HITS.inc()
                for message in decode_msgpack(cached):
                    await send(message)
                return
            PAGE_CACHE_MISSES.inc()
            missed = _missed_at_the_door.set(key)
            try:
                await app(scope, receive, send)
            finally:
                _missed_at_the_door.reset(missed)
            return
        await app(scope, receive, send)

    return serve


class PageStore(Store):
    """The page cache's store as Litestar's response cache sees it: it does not read a key that
    is never stored (signed-in and htmx views), nor one the front door has just missed, so a
    miss costs one read, not two (a file read or a Redis round trip each)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        if key.startswith(UNCACHEABLE) or key == _missed_at_the_door.get():
            return None
        try:
            return await self.store.get(key, renew_for)
        except OUTAGES:  # Redis away: the page is rendered (and /readyz says so)
            return None

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None):
        with contextlib.suppress(*OUTAGES):  # not kept this time: rendered again next time
            await self.store.set(key, value, expires_in)

    async def delete(self, key: str) -> None:
        await self.store.delete(key)

    async def delete_all(self) -> None:
        await self.store.delete_all()

    async def exists(self, key: str) -> bool:
        return await self.store.exists(key)

    async def expires_in(self, key: str) -> int | None:
        return await self.store.expires_in(key)
