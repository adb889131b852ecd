"""Public pages served from Litestar's response cache, and forgotten when what they show changes.

A cached page must be the same for everyone who gets it. So a page is cached only for an
anonymous visitor who sends no session cookie (the session middleware then sets no cookie that
could be stored with the page), never for htmx requests, and only with status 200. The key holds
everything else the page depends on: the path, the locale, elder mode and the encoding the
compression middleware chose (the stored body is the compressed one). Pages that use the cache
carry no per-visitor CSRF token: the forms on them that need no sign-in (language, elder mode)
are checked by origin instead (core/security.py), and scripts read the token from its cookie.

Entries expire after an hour at the latest; whoever changes what a page shows forgets its keys
(`forget`), in the same process or another (the store is shared: files or Redis). Pages of
which there may be any number (a list's page 2, 3, …) are kept under their family's generation
(`in_generation`): forgetting the generation forgets them all with one delete, where
forgetting each would be a delete per page that might be kept.

Litestar looks the cache up inside the route's middleware, so a hit still pays for the whole
app middleware stack (sessions, account, locale, rate limit: more than half of a hit's time,
bench/). `front_door` answers a hit before that stack, from the same entries under the same key;
a miss (or a request it cannot key, such as a number typed in another form) goes on to Litestar.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import timedelta
from itertools import product

from litestar.connection import ASGIConnection
from litestar.stores.base import Store
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send
from msgspec.msgpack import decode as decode_msgpack

from backend.core import i18n
from backend.core.compression import encoding_for
from backend.core.errors import OUTAGES
from backend.core.metrics import PAGE_CACHE_HITS, PAGE_CACHE_MISSES
from backend.core.stores import LocalFileStore, SharedRedisStore

PAGE_CACHE_STORE = "response_cache"  # Litestar's ResponseCacheConfig default store name
PAGE_LIFETIME_SECONDS = 3600
SESSION_COOKIE = "iph_session"
ENCODINGS = ("br", "gzip", "identity")
# Past this many pages, dropping the whole cache is cheaper than a delete per key.
FORGET_ONE_BY_ONE_UP_TO = 50
UNCACHEABLE = "uncacheable|"
IN_GENERATION = "in-generation|"  # a page of a family, kept under the family's generation
GENERATION = "generation|"  # a family's current generation, before the family's name
# The key the front door has just looked up and missed, for this request.
_missed_at_the_door: ContextVar[str | None] = ContextVar("page_cache_missed", default=None)
# (a page of a family asked for, the key it is kept under in the generation read), for this
# request: the page rendered is stored under the generation read before its data was.
_generation_read: ContextVar[tuple[str, str] | None] = ContextVar("page_cache_gen", default=None)


def page_key(path: str, locale: str, elder: bool, encoding: str) -> str:
    return f"{path}|{locale}|{'elder' if elder else 'standard'}|{encoding}"


def key_for(request: ASGIConnection, path: str | None = None) -> str:
    """The key of the page `request` asks for; `path` when the route knows a canonical one."""
    if not _cacheable_request(request.scope):
        # A key that is never stored (see `should_store`): signed-in and htmx views miss.
        return f"{UNCACHEABLE}{id(request.scope)}"
    return _key_of_cacheable(request, path or request.url.path)


def in_generation(family: str, key: str) -> str:
    """`key` (key_for's) kept under `family`'s generation, so that forgetting the family
    (`forget`) forgets it, whichever of the family's pages are kept."""
    return key if key.startswith(UNCACHEABLE) else f"{IN_GENERATION}{family}|{key}"


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


async def forget(store: PageStore, paths: Iterable[str], families: Iterable[str] = ()) -> None:
    """Drop the cached copies of `paths` (few: key by key; many: the whole cache) and of every
    page of `families` (their generations: the pages kept under them are never read again).

    A page has 18 keys (locales, elder mode, encodings), dropped in one go with the families'
    generations (the stores' delete_many: one DEL, or unlinks on the event loop). Deleted one
    by one through the store, each is a round trip or a thread's unlink, ~100 µs of CPU apiece:
    1.8 ms for Redis and 2.2 ms for files a page, more than a rating's whole budget (bench/)."""
    paths = list(paths)
    keys = [f"{GENERATION}{family}" for family in families]
    if len(paths) > FORGET_ONE_BY_ONE_UP_TO:
        await store.delete_all()
    elif paths or keys:
        await store.delete_many([*keys_of(paths), *keys])


def front_door(
    app: ASGIApp, store: PageStore, prefixes: tuple[str, ...], families: tuple[str, ...] = ()
) -> ASGIApp:
    """Answer GET requests under `prefixes` from the page cache before the app's middleware;
    the page at a family's own path is kept under the family's generation (`in_generation`),
    as its route keeps it."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(prefixes)
            and not scope["query_string"]
            and _cacheable_request(scope)
        ):
            connection = ASGIConnection(scope)
            path = connection.url.path
            key = _key_of_cacheable(connection, path)
            if path in families:
                key = in_generation(path, key)
            cached = await store.get(key)  # None too when the store is away (PageStore.get)
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


async def current_generation(
    store: Store, name: str, expires_in: int | timedelta | None = None
) -> str:
    """The generation kept under `name`, or a new one when it is gone (forgotten, expired):
    what is kept under a generation is forgotten all at once by deleting `name`."""
    generation = await store.get(name)
    if generation is None:
        generation = secrets.token_hex(8).encode()
        await store.set(name, generation, expires_in)
    return generation.decode()


class PageStore(Store):
    """The page cache's store as the front door and Litestar's response cache see it: it does
    not read a key that is never stored (signed-in and htmx views), nor one the front door has
    just missed, so a miss costs one read, not two (a file read or a Redis round trip each). A
    page of a family is read and kept under the family's generation (`in_generation`).

    With Redis away a page is a miss and is not kept: the page is rendered (and /readyz says
    why); forgetting fails, for the caller to know."""

    def __init__(self, store: LocalFileStore | SharedRedisStore) -> None:
        self.store = store

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        if key.startswith(UNCACHEABLE) or key == _missed_at_the_door.get():
            return None
        try:
            if key.startswith(IN_GENERATION):
                kept = f"{key}|{await self._generation_of(key)}"
                _generation_read.set((key, kept))
                key = kept
            return await self.store.get(key, renew_for)
        except OUTAGES:
            return None

    async def _generation_of(self, key: str) -> str:
        """The family's generation; a new one if it was forgotten, made before the page's data
        is read: a page rendered from data older than a forgetting is kept under a generation
        that is gone. (Made here, not by the writes: a file written costs ~130 µs of CPU, a
        key more in their delete nothing; bench/.)"""
        name = f"{GENERATION}{key.removeprefix(IN_GENERATION).split('|', 1)[0]}"
        return await current_generation(self.store, name)

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None):
        if key.startswith(IN_GENERATION):
            read = _generation_read.get()
            if read is None or read[0] != key:
                return  # no generation read before the page was rendered: not kept
            key = read[1]
        with contextlib.suppress(*OUTAGES):  # not kept this time: rendered again next time
            await self.store.set(key, value, expires_in)

    async def delete(self, key: str) -> None:
        await self.store.delete(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        await self.store.delete_many(keys)

    async def delete_all(self) -> None:
        await self.store.delete_all()

    async def exists(self, key: str) -> bool:
        return await self.store.exists(key)

    async def expires_in(self, key: str) -> int | None:
        return await self.store.expires_in(key)
