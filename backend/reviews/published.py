"""/disclosure in the app's page cache (core/page_cache.py), forgotten when what it shows moves.

The page is the same for every visitor without a session, and it changes only when a figure or
a case put right changes: each write that may move one does so through tallies.py, which calls
`shown_changed()` in the write's transaction. The page cache's store is the app's (files or
Redis, shared by every worker and the CLI); app.py hands it over when it makes the app.

A view rendered from the figures before a write commits and stored after it forgot the page
would keep the old figures: the page is therefore kept at most LIFETIME_SECONDS, so such a
copy does not outlive a minute.
"""

from __future__ import annotations

from litestar.stores.base import Store

from backend.core import page_cache

DISCLOSURE_PATH = "/disclosure"
LIFETIME_SECONDS = 60
_kept_in: list[Store] = []  # the app's page store, once app.py has made it


def keep_in(store: Store) -> None:
    """The page cache the disclosure is kept in (the app made last: tests make many)."""
    _kept_in[:] = [store]


async def shown_changed() -> None:
    """A figure or a case put right changed: the disclosure is rendered afresh next time."""
    for store in _kept_in:
        await page_cache.forget(store, [DISCLOSURE_PATH])
