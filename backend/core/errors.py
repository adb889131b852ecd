"""Error pages in the person's language, and JSON errors for the API; never a stack trace."""

from __future__ import annotations

import logging
import socket

import asyncpg
import redis.exceptions
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE

from backend.core import i18n
from backend.core.request_log import request_id_of

logger = logging.getLogger("backend.errors")

# What PostgreSQL or Redis being away looks like to the app: not answering (connect and command
# timeouts, core/database.py and core/stores.py), refusing, cutting a connection, or shutting
# down and starting up. Such a request answers 503 with Retry-After, never 500.
OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,  # asyncpg's connect, pool wait and statement timeouts
    socket.gaierror,  # the server's name does not resolve
    asyncpg.PostgresConnectionError,  # class 08: the connection failed or was lost
    asyncpg.CannotConnectNowError,  # 57P03: starting up, shutting down, in recovery
    asyncpg.AdminShutdownError,  # 57P01: the server is shutting down
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300
    # The server ended the connection between two statements: asyncpg 0.32 says this when the
    # next one starts before it has read the goodbye (seen with pg_terminate_backend).
    asyncpg.InternalClientError,
    redis.exceptions.ConnectionError,  # refused, closed, loading its data
    redis.exceptions.TimeoutError,
)
RETRY_AFTER_OUTAGE_SECONDS = "5"
# asyncpg says "the connection is gone" with its general InterfaceError: when a statement finds
# it closed, or finds that the pool already took it back because the server ended it.
LOST_CONNECTION = ("connection is closed", "released back to the pool")


def is_outage(error: BaseException) -> bool:
    """Whether `error`, or an error that led to it, says a server the app needs is away."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OUTAGES):
            return True
        if isinstance(current, asyncpg.InterfaceError) and any(
            words in str(current) for words in LOST_CONNECTION
        ):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


def _message_for(status: int, retry_after: str | None) -> tuple[str, str]:
    _ = i18n.gettext
    if status == 404:
        return _("Page not found"), _(
            "We could not find this page. Check the address, or start again from the home page."
        )
    if status == 429:
        seconds = retry_after or "60"
        return _("Too many requests"), _(
            "You have made many requests in a short time. Please wait %(seconds)s seconds "
            "and try again."
        ) % {"seconds": seconds}
    if status == 403:
        return _("Not allowed"), _(
            "This request was refused. Reload the page and try again; if it keeps happening, "
            "sign in again."
        )
    if status == 405:
        return _("Not allowed"), _("This page cannot be used that way.")
    if status == 503:
        return _("Service temporarily unavailable"), _(
            "The service is temporarily unavailable. Please try again in a moment."
        )
    if status < 500:
        return _("Request not understood"), _(
            "Something in the request was not right. Go back, check what you entered and try again."
        )
    return _("Something went wrong"), _(
        "Something went wrong on our side and nothing was changed. Please try again in a moment."
    )


def render_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else HTTP_500_INTERNAL_SERVER_ERROR
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    request_id = request_id_of(request.scope)
    if status == 429 and "Retry-After" not in headers:
        # Litestar's limiter says when the window resets; clients and people read Retry-After.
        headers["Retry-After"] = headers.get("RateLimit-Reset", "60")
    if status == HTTP_500_INTERNAL_SERVER_ERROR and is_outage(exc):
        status = HTTP_503_SERVICE_UNAVAILABLE
        headers["Retry-After"] = RETRY_AFTER_OUTAGE_SECONDS
        # One line, not a stack trace per request while a server is away (/readyz says which).
        logger.warning(
            "service unavailable (request %s): %s: %s", request_id, type(exc).__name__, exc
        )
    elif status >= 500:
        logger.error("unhandled error (request %s)", request_id, exc_info=exc)
    # Unmatched routes never pass through the locale middleware: negotiate here too.
    i18n.set_locale(i18n.locale_for_connection(request.cookies, request.headers, None))
    title, message = _message_for(status, headers.get("Retry-After"))
    # The API, and our scripts' JSON calls (they read the answer as JSON).
    if request.url.path.startswith("/api/") or request.headers.get("content-type", "").startswith(
        "application/json"
    ):
        return Response(
            {"status": status, "title": title, "detail": message, "request_id": request_id},
            status_code=status,
            headers=headers,
            media_type=MediaType.JSON,
        )
    return Template(
        template_name="errors/error.html",
        context={"status": status, "title": title, "message": message, "request_id": request_id},
        status_code=status,
        headers=headers,
    )
