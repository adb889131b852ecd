"""Who is signed in, for every request; guards for pages that need someone (or a role)."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.auth import service
from backend.auth.audit import RequestMeta
from backend.auth.limits import RateLimited
from backend.auth.sessions import SessionPolicy, session_end_reason
from backend.auth.tables import Account
from backend.core.request_log import request_id_of


class SignInRequired(NotAuthorizedException):
    pass


def too_many_requests(error: RateLimited) -> TooManyRequestsException:
    """A service's RateLimited as the 429 the error page renders, with its Retry-After."""
    return TooManyRequestsException(headers={"Retry-After": str(error.retry_after)})


# How stale a session's last_seen may be: writing it on every request would write the session
# on every request (backend/core/sessions.py); the idle timeout is counted to the minute.
LAST_SEEN_STEP_SECONDS = 60


class CurrentAccountMiddleware(ASGIMiddleware):
    """Puts the signed-in Account (or None) in scope["user"]; ends sessions that have expired."""

    def __init__(self, policy: SessionPolicy) -> None:
        self.policy = policy

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        session = scope.get("session")
        scope["user"] = None
        if isinstance(session, dict) and session.get("account_id"):
            env: service.AuthEnvironment = scope["app"].state.auth
            now = env.now_seconds()
            account = await service.account_by_id(session["account_id"])
            if session_end_reason(session, account, now, self.policy) is None:
                if now - session.get("last_seen", 0) >= LAST_SEEN_STEP_SECONDS:
                    session["last_seen"] = now
                scope["user"] = account
            else:
                session.clear()  # the session backend deletes it and clears the cookie
        await next_app(scope, receive, send)


def current_account(connection: ASGIConnection) -> Account | None:
    return connection.scope.get("user")


# The guards are async: Litestar runs a sync guard in a worker thread, a hop there and back on
# every signed-in request (bench/README.md "Signed-in POSTs").
async def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if current_account(connection) is None:
        raise SignInRequired


def role_in(*roles: Account.Role):
    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        account = current_account(connection)
        if account is None:
            raise SignInRequired
        if account.role not in roles:
            raise PermissionDeniedException

    return guard


def request_meta(request: Request) -> RequestMeta:
    return RequestMeta(
        client_ip=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
        request_id=request_id_of(request.scope),
    )


def send_to_sign_in(request: Request, _: SignInRequired) -> Response:
    """Pages send the person to sign in and back; the API answers 401."""
    if request.url.path.startswith(("/api/", "/auth/")):
        return Response({"status": 401, "detail": "sign in required"}, status_code=401)
    next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/signin?{urlencode({'next': next_path})}", status_code=303)
