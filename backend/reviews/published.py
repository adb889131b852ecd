"""/disclosure in the app's page cache (core/page_cache.py), forgotten when what it shows moves.

The page is the same for every visitor without a session, and it changes only when a figure or
a case put right changes: each write that may move one says so through tallies.py
(`shown_changed()`, in the write's transaction). The app forgets the page once that transaction
has committed (`forgetting`, wired by create_app on its engine: core/database.py
`when_committed`), so a view rendered from the figures before the commit is not kept after it.
Its first page is under /disclosure itself, the one key the front door reads; the pages after
it are kept under the disclosure's generation, all of them forgotten at once.

A view that read the figures before the commit and is stored after the forgetting (a render
that straddles both) would still keep the old figures: the page is therefore kept at most
LIFETIME_SECONDS, so such a copy does not outlive a minute. The later pages have no such gap:
the generation they are kept under is read before their figures are.
"""

from __future__ import annotations

from backend.core import database, page_cache
from backend.reviews.tables import ServiceEvent

DISCLOSURE_PATH = "/disclosure"
LIFETIME_SECONDS = 60
SHOWN = "reviews.shown"  # the change: a figure or a case put right moved


async def shown_changed() -> None:
    """A figure or a case put right changed: the disclosure is rendered afresh once the
    transaction this is said in commits (now, outside one)."""
    await database.changed(ServiceEvent._meta.db, SHOWN)


def forgetting(store: page_cache.PageStore) -> database.Action:
    """The app's action when SHOWN is committed: every page of the disclosure forgotten."""

    async def forget(_subjects: frozenset[str]) -> None:
        await page_cache.forget(store, [], families=[DISCLOSURE_PATH])

    return forget
