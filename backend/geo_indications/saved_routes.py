"""/saved: the provinces saved for offline on this phone. The server sends the same page to
everyone; gi.js lists what this phone's Cache Storage holds and searches it (the page works
offline from the copy kept with each province)."""

from __future__ import annotations

from litestar import get
from litestar.response import Template


@get("/saved", name="saved-packs")
async def saved_packs() -> Template:
    return Template("geo_indications/saved.html")
