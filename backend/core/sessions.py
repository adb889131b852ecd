"""Server-side sessions that exist only once something is kept in them, written only when
they change.

Litestar's backend writes a session (and sets its cookie) on every response, even an empty one
for a visitor who never signs in: a store write per page view and a cookie nobody needs; and it
writes a signed-in session again with every response although most requests change nothing in
it (the embedded profile's file store: a file written per request, ~1 ms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, Scope, ScopeSession

ROTATE = "iph_rotate_session"
NEW_SESSION_ID = "iph_new_session_id"
AS_LOADED = "iph_session_as_loaded"


def rotate_session(scope: Scope) -> None:
    """Give the session a new id when this response is sent (call at sign-in).

    Litestar's backend keeps the id of an existing cookie, which would let a planted session id
    survive sign-in (session fixation; SECURITY.md gotcha 1).
    """
    scope.setdefault("state", {})[ROTATE] = True


class LazySessionBackend(ServerSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        if session_id := connection.cookies.get(self.config.key):
            store = self.config.get_store_from_app(connection.scope["app"])
            data = await self.get(session_id, store=store)
            if data is not None:
                connection.scope.setdefault("state", {})[AS_LOADED] = data
                return self.deserialize_data(data)
        return {}

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        has_cookie = self.config.key in connection.cookies
        if not scope_session and not has_cookie:
            return
        state = connection.scope.setdefault("state", {})
        unchanged = scope_session and state.get(AS_LOADED) == self.serialize_data(
            scope_session, connection.scope
        )
        if unchanged and has_cookie and not state.get(ROTATE):
            # Stored as it is, and its cookie stands: the session's expiry moves on when
            # something in it changes (CurrentAccountMiddleware's last_seen, once a minute).
            return
        if state.get(ROTATE) and has_cookie:
            store = self.config.get_store_from_app(connection.scope["app"])
            await self.delete(connection.cookies[self.config.key], store=store)
            state[NEW_SESSION_ID] = self.generate_session_id()
        # An emptied session is ended: its stored data deleted and its cookie cleared.
        await super().store_in_message(scope_session or Empty, message, connection)

    def get_session_id(self, connection: ASGIConnection) -> str | None:
        if new_id := connection.scope.get("state", {}).get(NEW_SESSION_ID):
            return new_id
        if self.config.key not in connection.cookies and not connection.scope.get("session"):
            # At the start of a request without a session: no id until one is stored (Litestar
            # would draw one for every visitor, a system call per request).
            return None
        return super().get_session_id(connection)


@dataclass
class LazySessionConfig(ServerSideSessionConfig):
    _backend_class = LazySessionBackend
