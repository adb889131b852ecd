"""Error pages in the person's language, and JSON errors for the API; never a stack trace."""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from backend.core import i18n
from backend.core.request_log import request_id_of

logger = logging.getLogger("backend.errors")


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
    if status == 429 and "Retry-After" not in headers:
        # Litestar's limiter says when the window resets; clients and people read Retry-After.
        headers["Retry-After"] = headers.get("RateLimit-Reset", "60")
    request_id = request_id_of(request.scope)
    if status >= 500:
        logger.error("unhandled error (request %s)", request_id, exc_info=exc)
    # Unmatched routes never pass through the locale middleware: negotiate here too.
    i18n.set_locale(i18n.locale_for_connection(request.cookies, request.headers, None))
    title, message = _message_for(status, headers.get("Retry-After"))
    if request.url.path.startswith("/api/"):
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
