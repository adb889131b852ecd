"""The app's rate limiter: Litestar's RateLimitMiddleware, counting the requests of a window.

Litestar's limiter keeps, per client, the time of every request in the current window and
rewrites the whole list on each request, though its fixed window only ever uses the list's
length: at the default 600 a minute, up to 600 numbers decoded and encoded on every POST, and a
benchmark's client with a higher limit paid more with every request it made (bench/README.md
"Signed-in POSTs"). Here the store keeps the count and the window's end, incremented by the store
itself (`CountingStore.increment`): one read and one write of a few bytes on the file store, one
round trip and atomic across workers on Redis.

A request over the limit is refused with 429 and counted, so a client that keeps sending keeps
being refused until the window ends (Litestar refuses without counting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import DURATION_VALUES, RateLimitMiddleware
from litestar.types import Message, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class Window:
    """A client's requests so far in the current window, and the seconds until it ends."""

    count: int
    resets_in: int


class CountingStore(Protocol):
    async def increment(self, key: str, window_seconds: int) -> Window:
        """Count one more request under `key` in a window of `window_seconds` (a window starts
        with the first request after the last one ended)."""
        ...


class CountingRateLimitMiddleware(RateLimitMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request = app.request_class(scope)
        if await self.should_check_request(request=request):
            store: CountingStore = self.config.get_store_from_app(app)
            key = self.cache_key_from_request(request)
            window = await store.increment(key, DURATION_VALUES[self.unit])
            headers = self.headers_for(window) if self.config.set_rate_limit_headers else None
            if window.count > self.max_requests:
                raise TooManyRequestsException(headers=headers)
            if headers:
                send = _with_headers(send, headers)
        await self.app(scope, receive, send)

    def headers_for(self, window: Window) -> dict[str, str]:
        """The IETF RateLimit headers Litestar's limiter sends, from the window's count."""
        return {
            self.config.rate_limit_policy_header_key: (
                f"{self.max_requests}; w={DURATION_VALUES[self.unit]}"
            ),
            self.config.rate_limit_limit_header_key: str(self.max_requests),
            self.config.rate_limit_remaining_header_key: str(
                max(self.max_requests - window.count, 0)
            ),
            self.config.rate_limit_reset_header_key: str(window.resets_in),
        }


def _with_headers(send: Send, headers: dict[str, str]) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", [])
            response_headers = MutableScopeHeaders(message)
            for name, value in headers.items():
                response_headers[name] = value
        await send(message)

    return send_with_headers
