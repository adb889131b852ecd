"""Server-side sessions that exist only once something is kept in them.

Litestar's backend writes a session (and sets its cookie) on every response, even an empty one
for a visitor who never signs in: a store write per page view and a cookie nobody needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession


class LazySessionBackend(ServerSideSessionBackend):
    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        has_cookie = self.config.key in connection.cookies
        if not scope_session and not has_cookie:
            return
        # An emptied session is ended: its stored data deleted and its cookie cleared.
        await super().store_in_message(scope_session or Empty, message, connection)


@dataclass
class LazySessionConfig(ServerSideSessionConfig):
    _backend_class = LazySessionBackend
