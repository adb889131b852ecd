"""The real app with per-request costs taken out one at a time, to show what each one costs.

Diagnostics only. Nothing here changes backend/: each factory calls `backend.app.create_app`
after adjusting a logger level or the rate limiter's exclusion list (module-level settings), or
adds a start-up hook to the app it returns. bench/run.py serves them with
`uvicorn --factory bench.variants:<name>`.
"""

from __future__ import annotations

import gc
import logging

from litestar import Litestar

import backend.app as app_module


def _mute_request_log() -> None:
    """What IPH_LOG_LEVEL=WARNING is meant to do to the one-line-per-request log."""
    logging.getLogger("backend.request").setLevel(logging.WARNING)


def _freeze_gc_after_startup(app: Litestar) -> Litestar:
    """Move everything alive after start-up out of the garbage collector's reach.

    Without it every full (generation 2) collection walks all objects of Litestar, Jinja,
    Babel, Piccolo, … and stops the event loop for as long as it takes."""

    async def freeze() -> None:
        gc.collect()
        gc.freeze()

    app.on_startup.append(freeze)
    return app


def quiet_log() -> Litestar:
    """The app without its per-request log line."""
    _mute_request_log()
    return app_module.create_app()


def quiet_log_gc_frozen() -> Litestar:
    """… and with the start-up heap frozen (gc.freeze())."""
    return _freeze_gc_after_startup(quiet_log())


def quiet_log_gc_frozen_no_rate_limit() -> Litestar:
    """… and with the home page exempt from the rate limit: no rate-limit store read and write
    for GET /."""
    app_module.RATE_LIMIT_EXEMPT = [*app_module.RATE_LIMIT_EXEMPT, "^/$"]
    return quiet_log_gc_frozen()


def record_pages_uncached() -> Litestar:
    """The app as configured, except that no response is stored in the page cache: every public
    record page is a miss (looked up, not found), rendered with its database reads (DESIGN.md's
    "uncached" budget). run.py gives it a store namespace of its own, an empty cache."""
    from backend.core import page_cache

    page_cache.should_store = lambda scope, status_code: False
    return app_module.create_app()
