"""Parts of signed-in pages kept rendered, and forgotten when what they show changes.

The page cache (page_cache.py) keeps whole pages for visitors without a session. A signed-in
page carries what is that person's (the header, the CSRF token in its forms), but a part of it
may be the same for many of them: the staff queue of one outlet, say, for every one of its
staff in one language on one day. Such a part is kept here, rendered, under its subject's
generation (`view`): the caller names the subject (an outlet) and a key holding everything
else the part depends on; a write that changes what the subject's parts show forgets the
subject's generation once it has committed (`forget`), one delete whatever parts were kept.

The generation is read before the part's data is: a part rendered from data older than a
forgetting is kept under a generation that is gone and never read. Parts live LIFETIME_SECONDS
at most, which bounds what changes without a forgetting (a name, the calendar, kept a minute
too). The store is the page cache's (files or Redis, shared by the workers); with Redis away a
part is rendered each time and not kept.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable

from markupsafe import Markup

from backend.core.errors import OUTAGES
from backend.core.page_cache import current_generation
from backend.core.stores import LocalFileStore, SharedRedisStore

LIFETIME_SECONDS = 60
GENERATION = "view-generation|"
KEPT = "view|"


class KeptViews:
    def __init__(self, store: LocalFileStore | SharedRedisStore) -> None:
        self.store = store
        # The renders under way in this process, by the key they will be kept under.
        self._rendering: dict[str, asyncio.Future[str | None]] = {}

    async def view(self, subject: str, key: str, render: Callable[[], Awaitable[str]]) -> Markup:
        """The part `key` of `subject`, as kept, or rendered (and kept) when it is not."""
        try:
            name = f"{GENERATION}{subject}"
            generation = await current_generation(self.store, name, LIFETIME_SECONDS)
            kept_as = f"{KEPT}{subject}|{generation}|{key}"
            kept = await self.store.get(kept_as)
        except OUTAGES:
            return Markup(await render())
        if kept is not None:
            return Markup(kept.decode())
        return Markup(await self._rendered_once(kept_as, render))

    async def _rendered_once(self, kept_as: str, render: Callable[[], Awaitable[str]]) -> str:
        """One render for all the requests that miss the part at once: when it expires under
        load, the 32 requests in flight would otherwise each render it (the staff queue
        uncached is ~2.8 ms in bench/matters_parts.py: ~90 ms for the last, reckoned). Should
        that render fail (its client gone, say), each request waiting for it renders its own."""
        under_way = self._rendering.get(kept_as)
        if under_way is not None:
            shared = await asyncio.shield(under_way)
            return shared if shared is not None else await render()
        rendering = self._rendering[kept_as] = asyncio.get_running_loop().create_future()
        html = None
        try:
            html = await render()
        finally:
            del self._rendering[kept_as]
            rendering.set_result(html)
        with contextlib.suppress(*OUTAGES):  # not kept this time: rendered again next time
            await self.store.set(kept_as, html, expires_in=LIFETIME_SECONDS)
        return html

    async def forget(self, subjects: Iterable[str]) -> None:
        """Every part kept of these subjects is rendered afresh when next asked for."""
        await self.store.delete_many([f"{GENERATION}{subject}" for subject in subjects])
