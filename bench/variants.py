"""The real app with one per-request cost taken out, to show what each cost is (diagnostics only).

Nothing here changes backend/: each factory builds the app with `backend.app.create_app` after
adjusting a logger level or the rate limiter's exclusion list, both module-level settings.
bench/run.py serves them with `uvicorn --factory bench.variants:<name>`.
"""

from __future__ import annotations

import logging

from litestar import Litestar

import backend.app as app_module


def _mute_request_log() -> None:
    """What IPH_LOG_LEVEL=WARNING is meant to do to the one-line-per-request log."""
    logging.getLogger("backend.request").setLevel(logging.WARNING)


def quiet_log() -> Litestar:
    """The app without its per-request log line."""
    _mute_request_log()
    return app_module.create_app()


def quiet_log_no_rate_limit() -> Litestar:
    """The app without its per-request log line, and with the home page exempt from the rate
    limit (so no rate-limit store read and write for GET /)."""
    _mute_request_log()
    app_module.RATE_LIMIT_EXEMPT = [*app_module.RATE_LIMIT_EXEMPT, "^/$"]
    return app_module.create_app()
