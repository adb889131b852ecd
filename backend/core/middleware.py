"""Per-request middleware that Litestar does not provide: the request's locale."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.core import i18n


class LocaleMiddleware(ASGIMiddleware):
    """Sets the locale ContextVar for everything the request runs (handler, templates)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request = Request(scope)
        session = scope.get("session") if isinstance(scope.get("session"), dict) else None
        locale = i18n.locale_for_connection(request.cookies, request.headers, session)
        i18n.set_locale(locale)
        scope.setdefault("state", {})["locale"] = locale
        await next_app(scope, receive, send)


async def add_content_language(message: Message, scope: Scope) -> None:
    """A `before_send` hook: say which language a page is in (the service worker reads it)."""
    if message["type"] == "http.response.start" and "locale" in scope.get("state", {}):
        headers = MutableScopeHeaders.from_message(message)
        headers["Content-Language"] = i18n.HTML_LANG[scope["state"]["locale"]]
