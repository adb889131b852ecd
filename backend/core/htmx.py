"""htmx 4 request details: whether to answer with a fragment or the whole page."""

from __future__ import annotations

from litestar import Request

VARY_ON_HTMX = "HX-Request, HX-Request-Type"


def wants_fragment(request: Request) -> bool:
    """htmx 4 sends HX-Request-Type "partial" or "full"; history restores need the whole page."""
    headers = request.headers
    if headers.get("hx-request") != "true":
        return False
    if headers.get("hx-history-restore-request") == "true":
        return False
    return headers.get("hx-request-type", "partial") != "full"
