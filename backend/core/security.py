"""Security headers on every response, including 404s that match no route and static files."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# For files that come from outside the project (trademark images from an import): an SVG opened
# on its own is a document of our origin, so it may run nothing and load nothing.
SANDBOXED_FILE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

BASELINE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=31536000; includeSubDomains"


def security_headers_hook(hsts: bool, sandboxed_prefixes: tuple[str, ...] = ()):
    """A `before_send` hook; Litestar runs these for every message, routed or not. Paths under
    `sandboxed_prefixes` get SANDBOXED_FILE_POLICY instead of the pages' policy."""

    extra = {**BASELINE_HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {})}
    raw_extra = _raw(extra)
    raw_sandboxed = _raw({**extra, "Content-Security-Policy": SANDBOXED_FILE_POLICY})
    marker = raw_extra[0][0]

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        # Appended once: a response replayed from the page cache already has them. (Cheaper
        # than setting each by name, which searches the headers every time.)
        headers = message.setdefault("headers", [])
        if not any(name == marker for name, _ in headers):
            sandboxed = sandboxed_prefixes and scope["path"].startswith(sandboxed_prefixes)
            headers.extend(raw_sandboxed if sandboxed else raw_extra)

    return add_security_headers


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


async def same_origin_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard for the few forms that carry no CSRF token (language and elder mode, shown on
    pages cached for everyone): a browser says where a request comes from (Sec-Fetch-Site, Origin),
    and one that comes from another site is refused."""
    site = connection.headers.get("sec-fetch-site")
    if site is not None and site not in {"same-origin", "none"}:
        raise PermissionDeniedException(detail="cross-site request refused")
    origin = connection.headers.get("origin")
    if origin is not None and origin != connection.app.state.settings.origin:
        raise PermissionDeniedException(detail="cross-site request refused")
