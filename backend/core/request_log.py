"""One structured log line per request, with a request id and no personal data.

The path is logged without its query string (which can hold a search term or a number).
"""

from __future__ import annotations

import logging
import random
import time
from contextvars import ContextVar

import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("backend.request")
# The id of the request being served (or, in a queue worker, of the request that queued the job
# being run): jobs queued meanwhile carry it (core/jobs.py).
current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestLine(msgspec.Struct):
    request_id: str
    method: str
    path: str
    status: int
    duration_ms: float


def with_request_log(app: ASGIApp) -> ASGIApp:
    async def logged(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        # Unique enough to find a request's lines, and no system call (os.urandom) per request.
        request_id = f"{random.getrandbits(64):016x}"
        scope.setdefault("state", {})["request_id"] = request_id
        current = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(current)
            if logger.isEnabledFor(logging.INFO):  # else skip building a line nobody reads
                line = RequestLine(
                    request_id=request_id,
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
                logger.info(msgspec.json.encode(line).decode())

    return logged


def request_id_of(scope: Scope) -> str:
    return scope.get("state", {}).get("request_id", "-")
