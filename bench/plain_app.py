"""The baseline of DESIGN.md's server budgets: a bare Litestar app with one plain-text endpoint.

No middleware, no plugins, no templates: `GET /` answers "ok" as text/plain. The app's pages are
measured as a ratio of this endpoint's requests per second on the same server and machine.
"""

from __future__ import annotations

from litestar import Litestar, get


@get("/", media_type="text/plain", sync_to_thread=False)
def plain() -> str:
    return "ok"


app = Litestar(route_handlers=[plain])
