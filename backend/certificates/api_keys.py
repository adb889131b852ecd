"""The data interface's keys: issued by an administrator, sent as X-API-Key, limited, audited.

A key is 32 random bytes (base64url) after `iph_`; only its SHA-256 is kept (a key that random
needs no salt or slow hash), with its first characters to tell keys apart in a list. Each key
may make `api_rate_limit_per_minute` calls a minute, counted by the atomic SQL counter sign-in
uses (auth/limits.py), shared by every worker. Every call, refused ones included, is one
ApiCall row: key id, path, status, client address, time, kept as long as the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.handlers import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.auth import limits
from backend.certificates.tables import ApiCall, ApiKey

HEADER = "X-API-Key"
SECURITY_SCHEME = "ApiKey"
KEY_PREFIX = "iph_"
API_KEY_COMPONENTS = Components(
    security_schemes={
        SECURITY_SCHEME: SecurityScheme(
            type="apiKey",
            name=HEADER,
            security_scheme_in="header",
            description="A key issued by the office's administrator "
            "(`litestar iph api-key create --name …`), shown once.",
        )
    }
)
_SCOPE_KEY = "iph_api_key_id"


class KeyNotFound(LookupError):
    pass


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(name: str) -> tuple[ApiKey, str]:
    """The new key's row and the key itself, which is not kept anywhere: show it once."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name.strip()[:100], key_hash=_hash(key), prefix=key[:12])
    await row.save()
    return row, key


async def revoke_key(key_id: int, now: dt.datetime) -> ApiKey:
    row = await ApiKey.objects().where(ApiKey.id == key_id).first()
    if row is None:
        raise KeyNotFound(key_id)
    if row.revoked_at is None:
        await ApiKey.update({ApiKey.revoked_at: now}).where(ApiKey.id == key_id)
    return row


async def all_keys() -> list[ApiKey]:
    return await ApiKey.objects().order_by(ApiKey.id)


async def live_key(sent: str) -> ApiKey | None:
    if not sent.startswith(KEY_PREFIX) or len(sent) > 100:
        return None
    return (
        await ApiKey.objects()
        .where((ApiKey.key_hash == _hash(sent)) & ApiKey.revoked_at.is_null())
        .first()
    )


async def api_key_required(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: a live key in X-API-Key (else 401), within its limit (else 429, Retry-After)."""
    key = await live_key(connection.headers.get(HEADER, ""))
    if key is None:
        raise NotAuthorizedException(
            detail=f"send a live API key in the {HEADER} header",
            headers={"WWW-Authenticate": f'ApiKey header="{HEADER}"'},
        )
    connection.scope[_SCOPE_KEY] = key.id  # type: ignore[literal-required]
    state = connection.app.state
    limit = limits.Limit("api-key", state.settings.api_rate_limit_per_minute, 60)
    try:
        await limits.check(limit, str(key.id), state.auth.now_seconds())
    except limits.RateLimited as error:
        raise TooManyRequestsException(
            detail="this key's calls per minute are used up",
            headers={"Retry-After": str(error.retry_after)},
        ) from error


def audited(app: ASGIApp) -> ASGIApp:
    """Route middleware: one ApiCall row per call, with the status that was sent.

    It wraps the route's own exception handler, so a refusal's status (401, 404, 429) is seen.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        sent = {"status": 500}

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_noting_status)
        finally:
            client = scope.get("client")
            await ApiCall(
                key_id=scope.get(_SCOPE_KEY),
                path=scope["path"][:200],
                status=sent["status"],
                client_ip=(client[0] if client else "")[:64],
            ).save()

    return middleware


async def purge_calls_older_than(days: int, now: dt.datetime) -> int:
    """The retention job of the calls' audit (the same period as the account audit log)."""
    cutoff = now - dt.timedelta(days=days)
    deleted = await ApiCall.delete().where(ApiCall.occurred_at < cutoff).returning(ApiCall.id)
    return len(deleted)
